/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The configuration document: one JSON schema for the file and the REST API.
 *
 * sl_config_parse() turns JSON into a validated struct sl_config or fails with
 * one message that names the exact field and problem, e.g.
 *   routes[3].via: "10.0.0.300" is not an IPv4 address
 * sl_config_to_json() writes it back (secrets are paths, never contents),
 * so GET /api/v1/config returns what the file would contain.
 *
 * This module knows nothing of DPDK: it can be used before rte_eal_init()
 * and in tools. Threads: any; a struct sl_config is owned by its creator.
 */
#ifndef SL_CONFIG_H
#define SL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define SL_CONFIG_MAX_PORTS 8
#define SL_CONFIG_MAX_ADDRS 8        /* per family per port */
#define SL_CONFIG_MAX_ROUTES 4096
#define SL_CONFIG_MAX_EAL_ARGS 32
#define SL_CONFIG_NAME_MAX 16
#define SL_CONFIG_PATH_MAX 256
#define SL_CONFIG_DEVICE_MAX 256
#define SL_CONFIG_ERR_MAX 256

/** An address family tag for prefixes and addresses. */
enum sl_af { SL_AF_INET = 4, SL_AF_INET6 = 6 };

/** An IPv4 or IPv6 address, network byte order. */
struct sl_addr {
	uint8_t af;             /**< enum sl_af */
	union {
		uint32_t v4;    /**< network order */
		uint8_t v6[16];
	};
};

/** Address plus prefix length ("10.0.0.1/24"). */
struct sl_prefix {
	struct sl_addr addr;
	uint8_t len;
};

/** Zones of the stateful firewall (with a flow section). */
enum sl_zone {
	SL_ZONE_INSIDE = 0,     /**< anything may start connections from here */
	SL_ZONE_OUTSIDE,        /**< only replies and related traffic come in */
};

/**
 * A WireGuard interface ("wireguard.interfaces[]"). It is a port like the
 * devices for the rest of the document (routes, rules, zones and NAT name
 * it), with no device: what is routed to it is encrypted to its peers.
 * Peers are not part of the document: they change at run time.
 */
struct sl_config_wg_if {
	char private_key_file[SL_CONFIG_PATH_MAX]; /**< base64 key, mode 0600 */
	uint16_t listen_port;                /**< UDP, on every address of sluice */
	uint32_t max_peers;                  /**< table size, default 1024 (restart) */
};

struct sl_config_port {
	char name[SL_CONFIG_NAME_MAX];       /**< [a-z0-9_-]{1,15}, unique */
	uint8_t zone;                        /**< enum sl_zone, default inside */
	char device[SL_CONFIG_DEVICE_MAX];   /**< PCI address or vdev string */
	bool device_is_pci;                  /**< true for "0000:01:00.0" form */
	uint16_t mtu;                        /**< L3 MTU, 68..9600, default 1500 */
	uint16_t queues;                     /**< RX queues, 0 = one per worker */
	uint16_t rx_desc, tx_desc;           /**< 0 = driver profile default */
	bool has_mac;                        /**< "mac" given: override the NIC's */
	uint8_t mac[6];
	unsigned n_ipv4, n_ipv6;
	struct sl_prefix ipv4[SL_CONFIG_MAX_ADDRS]; /**< host address + subnet */
	struct sl_prefix ipv6[SL_CONFIG_MAX_ADDRS];
	bool has_kernel_address;             /**< a net_tap port to the host's own stack */
	struct sl_prefix kernel_address;     /**< the host's side of it (restart) */
	bool wireguard;                      /**< a WireGuard interface, not a device */
	struct sl_config_wg_if wg;           /**< its settings, when wireguard */
};

enum sl_route_type {
	SL_ROUTE_UNICAST = 0,   /**< via a gateway, or on-link out of a port */
	SL_ROUTE_BLACKHOLE,     /**< drop silently */
	SL_ROUTE_UNREACHABLE,   /**< drop, answer ICMP unreachable */
};

struct sl_config_route {
	struct sl_prefix prefix;  /**< network address (host bits must be zero) */
	uint8_t type;             /**< enum sl_route_type */
	bool has_via;
	struct sl_addr via;       /**< gateway, same family as prefix */
	int port;                 /**< index into ports[], -1 = find from via */
};

#define SL_CONFIG_MAX_NEIGHBORS 256

/** A static neighbor (like "ip neigh add ... nud permanent"): never resolved, never aged. */
struct sl_config_neighbor {
	int port;                 /**< index into ports[] */
	struct sl_addr addr;      /**< on one of that port's subnets, or IPv6 link-local */
	uint8_t mac[6];           /**< unicast */
};

struct sl_config_eal {
	char lcores[64];          /**< EAL -l / --lcores value; "" = EAL default */
	uint32_t memory_mb;       /**< -m; 0 = EAL default */
	uint8_t hugepages;        /**< enum sl_hugepages_mode */
	char file_prefix[64];     /**< "" = none (--in-memory is always used) */
	unsigned n_args;
	char args[SL_CONFIG_MAX_EAL_ARGS][128]; /**< extra EAL arguments, verbatim */
};

enum sl_hugepages_mode {
	SL_HUGEPAGES_AUTO = 0,    /**< use them if free, else --no-huge with a warning */
	SL_HUGEPAGES_ON,          /**< fail to start without them */
	SL_HUGEPAGES_OFF,         /**< always --no-huge */
};

struct sl_config_api {
	char listen[64];          /**< IPv4 or IPv6 literal, default "127.0.0.1" */
	uint16_t port;            /**< default 8080 */
	char token_file[SL_CONFIG_PATH_MAX]; /**< "" = no auth (loopback only) */
	uint32_t connection_limit;  /**< default 64 */
	uint32_t per_ip_limit;      /**< default 16 */
	uint32_t timeout_s;         /**< idle connection timeout, default 10 */
	uint32_t memory_limit;      /**< per-connection pool bytes, default 65536 */
	uint32_t max_body;          /**< largest request body bytes, default 1 MiB */
	uint32_t max_bulk_body;     /**< the same for bulk endpoints (set entries), default 64 MiB */
};

struct sl_config_log {
	uint8_t level;            /**< enum sl_log_level, default info */
};

/** Connection timeouts, in the order of sl_config_flow_timeout_names. */
enum sl_flow_timeout {
	SL_FLOW_TO_TCP_SYN_SENT, SL_FLOW_TO_TCP_SYN_RECV, SL_FLOW_TO_TCP_ESTABLISHED,
	SL_FLOW_TO_TCP_FIN_WAIT, SL_FLOW_TO_TCP_CLOSE_WAIT, SL_FLOW_TO_TCP_LAST_ACK,
	SL_FLOW_TO_TCP_TIME_WAIT, SL_FLOW_TO_TCP_CLOSE, SL_FLOW_TO_UDP, SL_FLOW_TO_UDP_ASSURED,
	SL_FLOW_TO_ICMP, SL_FLOW_TO_OTHER, SL_FLOW_TIMEOUTS
};
extern const char *const sl_config_flow_timeout_names[SL_FLOW_TIMEOUTS];

/** Connection tracking ("flow"); on when the section is present. */
struct sl_config_flow {
	bool enabled;
	bool tcp_pickup;                  /**< track TCP seen mid-stream, default off */
	bool tcp_mss_clamp;               /**< clamp SYNs' MSS to the egress MTU, default on */
	uint32_t max_connections;         /**< default 262144 (restart) */
	uint32_t max_connections_ipv6;    /**< of those, IPv6 at most; default 65536 (restart) */
	uint32_t max_fragmented;          /**< fragmented datagrams tracked at once; default 4096 (restart) */
	uint64_t timeout_us[SL_FLOW_TIMEOUTS]; /**< whole seconds, nf_conntrack's defaults */
};

#define SL_CONFIG_MAX_SNAT 32

/** A source NAT rule ("nat.snat[]"); with a flow section. */
struct sl_config_snat {
	int out_port;             /**< index into ports[] */
	bool has_source;
	struct sl_prefix source;  /**< absent: any address of the connection's family */
	bool masquerade;          /**< the port's first address of the family */
	struct sl_addr to;        /**< else: one of the port's addresses */
	uint16_t port_lo, port_hi; /**< source ports to use, default 1024-65535 */
};

#define SL_CONFIG_MAX_DNAT 64

/** When the SYN proxy answers a TCP service's or port forward's SYNs ("syn_proxy"). */
enum sl_config_syn_proxy_mode {
	SL_SYN_PROXY_OFF = 0,
	SL_SYN_PROXY_ALWAYS,      /**< every SYN */
	SL_SYN_PROXY_AUTO,        /**< while its SYN rate is above a threshold */
};

#define SL_SYN_PROXY_AUTO_DEFAULT 1000   /**< SYNs per second that turn "auto" on */

struct sl_config_syn_proxy {
	uint8_t mode;             /**< enum sl_config_syn_proxy_mode */
	uint32_t above;           /**< auto: SYNs per second (all workers) */
};

/** A destination NAT rule, a port forward ("nat.dnat[]"). */
struct sl_config_dnat {
	int in_port;              /**< index into ports[] */
	uint8_t proto;            /**< IPPROTO_TCP or IPPROTO_UDP */
	uint16_t port;            /**< destination port on sluice's addresses */
	struct sl_addr to;        /**< where it goes */
	uint16_t to_port;
	struct sl_config_syn_proxy syn_proxy;   /**< TCP only */
};

#define SL_CONFIG_MAX_SERVICES 255
#define SL_CONFIG_MAX_BACKENDS_TOTAL 4095 /**< over all services */
#define SL_CONFIG_SERVICE_NAME_MAX 32
#define SL_CONFIG_MAX_BACKENDS 64      /**< per service */
#define SL_CONFIG_MAX_SOURCES 8        /**< full-NAT source addresses per service */

/** How a service picks a backend for a new connection. */
enum sl_lb_sched {
	SL_LB_RR = 0,     /**< round robin, weights ignored */
	SL_LB_WRR,        /**< weighted round robin (smooth, interleaved) */
	SL_LB_LC,         /**< fewest connections per weight */
	SL_LB_SH,         /**< source address hash (consistent, Maglev table) */
	SL_LB_MAGLEV,     /**< source address and port hash, Maglev table */
};

enum sl_lb_mode {
	SL_LB_DNAT = 0,   /**< the backend sees the client's address */
	SL_LB_FULLNAT,    /**< the source is rewritten to one of the service's sources */
};

enum sl_health_type { SL_HEALTH_NONE = 0, SL_HEALTH_TCP, SL_HEALTH_HTTP };
#define SL_CONFIG_HEALTH_PATH_MAX 128

/* Source ports of sluice's TCP health probes: no source NAT range may hold them. */
#define SL_HEALTH_PORT_LO 1000
#define SL_HEALTH_PORT_HI 1023

struct sl_config_backend {
	struct sl_addr addr;
	uint16_t port;            /**< default: the service's port */
	uint16_t weight;          /**< 0..1000, default 1; 0 takes no new connections */
};

/** A load-balanced virtual service ("services[]"); with a flow section. */
struct sl_config_service {
	char name[SL_CONFIG_SERVICE_NAME_MAX]; /**< [a-z0-9_-]{1,31}, unique */
	struct sl_addr vip;
	uint8_t proto;            /**< IPPROTO_TCP or IPPROTO_UDP */
	uint8_t sched;            /**< enum sl_lb_sched, default rr */
	uint8_t mode;             /**< enum sl_lb_mode, default dnat */
	bool drain;               /**< a backend marked down keeps its connections (default) */
	uint16_t port;
	uint32_t maglev_size;     /**< prime, default 65537 */
	unsigned n_sources;
	struct sl_addr sources[SL_CONFIG_MAX_SOURCES]; /**< fullnat: the backends see these */
	uint16_t source_lo, source_hi;                 /**< fullnat source ports, default 1024-65535 */
	unsigned n_backends;
	struct sl_config_backend backends[SL_CONFIG_MAX_BACKENDS];
	struct sl_config_syn_proxy syn_proxy;   /**< TCP only */
	struct {
		uint8_t type;     /**< enum sl_health_type, default none */
		uint8_t rise, fall;        /**< default 2, 3 */
		uint32_t interval_us;      /**< default 2 s */
		uint32_t timeout_us;       /**< default 1 s */
		uint16_t expect;           /**< http: the status that means up, default 200 */
		char path[SL_CONFIG_HEALTH_PATH_MAX]; /**< http: default "/" */
	} health;
};

#define SL_CONFIG_MAX_SETS 32

/**
 * A named prefix set ("sets[]"): its entries are runtime objects (REST,
 * journaled beside the config); the config gives its name and sizes.
 */
struct sl_config_set {
	char name[SL_CONFIG_NAME_MAX];  /**< [a-z0-9_-]{1,15}, unique */
	uint32_t max_ipv4, max_ipv6;    /**< entries per family; 0: that family not held */
	uint32_t ipv4_groups;           /**< /24s that may hold longer prefixes (1 KiB each) */
	uint32_t ipv6_groups;           /**< 256-entry IPv6 tables past /24 (1 KiB each, twice) */
};

#define SL_CONFIG_MAX_ACL_RULES 65536
#define SL_CONFIG_ACL_NAME_MAX 32

enum sl_acl_action { SL_ACL_ALLOW, SL_ACL_DENY, SL_ACL_REJECT };

/**
 * One ACL rule ("acl.rules[]"): every match field is optional (absent: any).
 * The first rule that matches a packet decides it.
 */
struct sl_config_acl_rule {
	char name[SL_CONFIG_ACL_NAME_MAX]; /**< [a-z0-9_-]{0,31}, unique when set; "" unnamed */
	uint8_t action;           /**< enum sl_acl_action */
	uint8_t af;               /**< 0: both families; else SL_AF_INET or SL_AF_INET6 */
	int16_t in_port;          /**< sluice port index; -1 any */
	int8_t zone;              /**< enum sl_zone; -1 any */
	int8_t dscp;              /**< 0..63; -1 any */
	int16_t proto;            /**< IPPROTO_*; -1 any */
	bool has_src, has_dst;
	struct sl_prefix src, dst;
	uint16_t sport_lo, sport_hi;   /**< 0-65535 when absent */
	uint16_t dport_lo, dport_hi;
	uint8_t flags_value, flags_mask; /**< TCP: (flags & mask) == value; 0/0 any */
	int8_t level;             /**< allow: the rate-limit level (ratelimit.levels index); -1 default */
	int8_t src_set, dst_set;  /**< sets[] index the address must be in; -1 any */
};

/** The "acl" section: present (enabled) or not; rules in order. */
struct sl_config_acl {
	bool enabled;
	uint8_t default_action;   /**< SL_ACL_ALLOW (default) or SL_ACL_DENY */
	unsigned n_rules;
	struct sl_config_acl_rule *rules; /**< heap array of n_rules */
};

#define SL_CONFIG_MAX_LEVELS 16

/** A permission level: the limits a source is held to ("ratelimit.levels[]"). 0: no limit. */
struct sl_config_level {
	char name[SL_CONFIG_NAME_MAX];   /**< [a-z0-9_-]{1,15}, unique */
	uint64_t packets;         /**< packets per second */
	uint32_t packet_burst;    /**< packets; default a tenth of a second's worth, at least 1 */
	uint64_t bits;            /**< bits per second (IP packets) */
	uint64_t bit_burst;       /**< bytes; default a tenth of a second's worth, at least 64 KiB */
	uint64_t new_connections; /**< connections per second (with a flow section) */
	uint32_t connection_burst;/**< connections; default a tenth of a second's worth, at least 1 */
	uint32_t connections;     /**< concurrent connections (with a flow section) */
	bool reset_over_limit;    /**< a TCP SYN over "connections" gets a reset, not silence */
};

/** What raises a source's reputation score (ratelimit.reputation.weights). */
enum sl_rep_event {
	SL_REP_ACL_DENY,       /**< a packet an ACL rule denied or rejected */
	SL_REP_RATE_DROP,      /**< a packet over a rate limit */
	SL_REP_TCP_INVALID,    /**< TCP connection tracking refused (invalid, out of window, bad RST) */
	SL_REP_SYN_TIMEOUT,    /**< a connection that never got past its SYN */
	SL_REP_SCAN,           /**< many destination ports within the scan window */
	SL_REP_EVENTS
};

/** Reputation: scores that decay, and automatic blocks ("ratelimit.reputation"). */
struct sl_config_reputation {
	bool enabled;
	uint32_t threshold;               /**< a score at or above it blocks; default 100 */
	uint64_t half_life_us;            /**< default 60 s */
	uint32_t weights[SL_REP_EVENTS];  /**< defaults 1, 1, 5, 2, 50 */
	uint32_t scan_ports;              /**< distinct destination ports that make a scan; default 20 */
	uint64_t scan_window_us;          /**< default 10 s */
	uint64_t block_us;                /**< the first block's length; default 60 s */
	uint64_t block_max_us;            /**< a repeat offender's block doubles up to this; default 1 d */
	int8_t exempt_set;                /**< sets[] index never blocked automatically; -1 none */
};

/** The "ratelimit" section: per-source limits by level. */
struct sl_config_ratelimit {
	bool enabled;
	uint32_t max_sources;     /**< sources tracked at once (restart); default 65536 */
	uint8_t prefix4, prefix6; /**< what counts as one source (restart); default /32, /64 */
	uint64_t idle_us;         /**< a source unseen this long is forgotten; default 60 s */
	unsigned n_levels;
	struct sl_config_level levels[SL_CONFIG_MAX_LEVELS]; /**< [0] "default" */
	struct sl_config_reputation reputation;
};

struct sl_config_workers {
	uint32_t idle_sleep_us;   /**< sleep after idle polls; 0 = pure busy poll */
	uint16_t burst;           /**< rx burst size, 1..64, default 32 */
};

#define SL_CONFIG_MAX_QOS_CLASSES 63      /**< per port, below its root */
#define SL_CONFIG_MAX_QOS_MATCH 4096      /**< match rules over all classes */

/** FQ-CoDel of a leaf class ("qos.fq_codel", or a class's own). */
struct sl_config_fq_codel {
	uint32_t flows;           /**< a power of two, 16..65536; default 1024 */
	uint32_t limit;           /**< packets, default 10240 */
	uint64_t memory;          /**< bytes, default 32 MB */
	uint32_t quantum;         /**< bytes, default 1514 */
	uint32_t target_us, interval_us;  /**< default 5 ms, 100 ms */
	bool ecn;                 /**< default true */
};

/**
 * A bucket's default size at @p bps: 4 ms of the rate (tc's one tick at
 * HZ=250) and a packet, so a scheduler that did not run for a few
 * milliseconds (its worker descheduled) still sends its rate on average.
 */
static inline uint32_t sl_config_qos_default_burst(uint64_t bps)
{
	uint64_t b = bps / 8 / 250 + 1600;
	return b > (64u << 20) ? 64u << 20 : (uint32_t)b;
}

/** A class of a port's tree ("qos.ports[].classes[]"). */
struct sl_config_qos_class {
	char name[SL_CONFIG_NAME_MAX];  /**< [a-z0-9_-]{1,15}, unique in the port */
	int parent;               /**< index in classes[]; -1: the port's root */
	uint64_t rate, ceil;      /**< bit/s on the wire (resolved from "%" of the port's rate) */
	uint16_t rate_pct, ceil_pct;    /**< as written: percent of the port's rate; 0 absolute */
	uint32_t burst, cburst;   /**< bytes; default 4 ms of the rate (ceil) + 1600 */
	uint8_t prio;             /**< 0..7, default 0 */
	uint32_t quantum;         /**< bytes, default 1514 */
	int8_t dscp;              /**< rewrite leaving packets to it; -1 leave */
	bool own_fq;              /**< its own fq_codel (else the section's) */
	struct sl_config_fq_codel fq;
	bool leaf;                /**< derived: no class names it as parent */
};

/** One port's shaping ("qos.ports[]"). */
struct sl_config_qos_port {
	int port;                 /**< index into ports[] */
	uint64_t rate;            /**< bit/s on the wire: the root */
	uint16_t overhead;        /**< bytes each frame takes on the wire beyond it, default 24 */
	int default_class;        /**< the leaf unmatched packets go to */
	unsigned n_classes;
	struct sl_config_qos_class classes[SL_CONFIG_MAX_QOS_CLASSES];
};

/** A class's match rule: the packet fields an ACL rule matches. */
struct sl_config_qos_match {
	uint8_t port;             /**< index in qos.ports[] */
	uint8_t cls;              /**< index in its classes[] */
	struct sl_config_acl_rule rule;
};

/** The "qos" section. */
struct sl_config_qos {
	bool enabled;
	struct sl_config_fq_codel fq;   /**< the leaves' defaults */
	unsigned n_ports;
	struct sl_config_qos_port ports[SL_CONFIG_MAX_PORTS];
	unsigned n_match;
	struct sl_config_qos_match *match; /**< heap array, in order of classes then rules */
};

/** The "wireguard" section's own settings; its interfaces are ports. */
struct sl_config_wireguard {
	unsigned n_interfaces;          /**< ports[n_device_ports...] */
	uint32_t handshake_load;        /**< handshake messages per second before cookies */
	uint32_t clock_scale;           /**< protocol timers run this many times faster (tests) */
};

struct sl_config {
	struct sl_config_eal eal;
	unsigned n_ports;               /**< devices, then WireGuard interfaces */
	unsigned n_device_ports;        /**< ports[0..n_device_ports-1] are devices */
	struct sl_config_port ports[SL_CONFIG_MAX_PORTS];
	unsigned n_routes;
	struct sl_config_route *routes; /**< heap array of n_routes */
	unsigned n_neighbors;
	struct sl_config_neighbor neighbors[SL_CONFIG_MAX_NEIGHBORS];
	struct sl_config_api api;
	struct sl_config_log log;
	struct sl_config_workers workers;
	struct sl_config_flow flow;
	unsigned n_snat;
	struct sl_config_snat snat[SL_CONFIG_MAX_SNAT];
	unsigned n_dnat;
	struct sl_config_dnat dnat[SL_CONFIG_MAX_DNAT];
	unsigned n_services;
	struct sl_config_service *services; /**< heap array of n_services */
	unsigned n_sets;
	struct sl_config_set sets[SL_CONFIG_MAX_SETS];
	struct sl_config_acl acl;
	struct sl_config_ratelimit ratelimit;
	struct sl_config_qos qos;
	struct sl_config_wireguard wireguard;
};

/**
 * Parse and validate @p doc. On success returns a new config (free with
 * sl_config_free()). On failure returns NULL and writes one message naming
 * the field into @p err.
 */
struct sl_config *sl_config_parse(const json_t *doc, char *err, size_t err_len);

/**
 * Read @p path (JSON text) and parse it; errors name the file position.
 * JSON syntax errors read "<file>:<line>:<column>: <jansson text>",
 * validation errors "<file>: <path>: <problem>". Duplicate keys are errors.
 */
struct sl_config *sl_config_load(const char *path, char *err, size_t err_len);

void sl_config_free(struct sl_config *cfg);

/** Deep copy; NULL on allocation failure. */
struct sl_config *sl_config_dup(const struct sl_config *cfg);

/** Canonical JSON (every key, defaults filled in). Caller owns the result. */
json_t *sl_config_to_json(const struct sl_config *cfg);

/**
 * Fields that differ, as a JSON array of {"path", "old", "new"}, in schema
 * order. Paths are spelled like validation errors ("log.level"), except that
 * list members are named by their key, not their position: "ports[lan].mtu",
 * "routes[10.1.0.0/16]", "neighbors[wan/10.2.0.2]". A port, route or neighbor
 * added/removed shows "old" or "new" as null.
 */
json_t *sl_config_diff(const struct sl_config *a, const struct sl_config *b);

/**
 * Which changed field of @p next cannot be applied to a running appliance
 * (eal, port devices, queues, api listen address/port). Returns 0 if all can,
 * else -EBUSY with the field named in @p err.
 */
int sl_config_check_live_change(const struct sl_config *cur,
				const struct sl_config *next, char *err, size_t err_len);

/**
 * Write the config to @p path atomically: temp file in the same directory,
 * fsync, rename, fsync the directory. 0 or -errno.
 */
int sl_config_save(const struct sl_config *cfg, const char *path);

/** Sync the directory holding @p path (a rename into it is durable then). 0 or -errno. */
int sl_fsync_parent(const char *path);

/* Route table edits used by the REST API; they validate like parse does. */

/** Parse one route object (as in the "routes" array) against @p cfg's ports. */
int sl_config_route_parse(const struct sl_config *cfg, const json_t *obj,
			  struct sl_config_route *out, char *err, size_t err_len);
/** Route as JSON, the same shape parse accepts. */
json_t *sl_config_route_to_json(const struct sl_config *cfg, const struct sl_config_route *r);
/** Index of a route with the same prefix (and type), or -1. */
int sl_config_route_find(const struct sl_config *cfg, const struct sl_prefix *prefix);
/** Append (copy) a route; -EEXIST if the prefix exists, -ENOSPC at the limit. */
int sl_config_route_add(struct sl_config *cfg, const struct sl_config_route *r);
/** Remove the route at @p idx. */
void sl_config_route_del(struct sl_config *cfg, unsigned idx);
/**
 * The port a unicast route leaves by: its "port", else the first port (in
 * config order) whose connected subnet holds "via". -1 for blackhole and
 * unreachable routes, or if no port fits (parse rejects that case).
 */
int sl_config_route_port(const struct sl_config *cfg, const struct sl_config_route *r);

/** Whether a service or port forward of @p cfg asks for the SYN proxy. */
bool sl_config_syn_proxy_used(const struct sl_config *cfg);

/** The service named @p name: its index, or -1. */
int sl_config_service_find(const struct sl_config *cfg, const char *name);
/** A service as JSON, the shape parse accepts (canonical). */
json_t *sl_config_service_json(const struct sl_config_service *s);

/** "acl_deny", "rate_drop", ... for enum sl_rep_event; "manual" past the end. */
const char *sl_config_rep_event_name(unsigned e);

/** Index of the rate-limit level named @p name, or -1. */
int sl_config_level_find(const struct sl_config *cfg, const char *name);

/** An ACL rule as the config writes it (only the fields it sets); NULL on allocation failure. */
/** Index of set @p name in cfg->sets, or -1. */
int sl_config_set_find(const struct sl_config *cfg, const char *name);
/** {"name", "max_ipv4", ...} of set @p i, the shape parse accepts; NULL on allocation failure. */
json_t *sl_config_set_json(const struct sl_config_set *s);
json_t *sl_config_acl_rule_json(const struct sl_config *cfg, const struct sl_config_acl_rule *r);

/* Units and literals ("100Mbit", "5ms", "40%", "10.0.0.0/8"). */

/** "5ms", "10s", "250us", "2m" -> microseconds. 0 or -EINVAL. */
int sl_parse_duration_us(const char *s, uint64_t *us);
/** "64KiB", "1MiB", "512", "2MB" -> bytes. 0 or -EINVAL. */
int sl_parse_size_bytes(const char *s, uint64_t *bytes);
/** "100Mbit", "1Gbit", "64kbit", "1000bit" -> bits per second. 0 or -EINVAL. */
int sl_parse_rate_bps(const char *s, uint64_t *bps);
/** "1000/s", "10k/s", "1.5M/s" -> events (packets, connections) per second. 0 or -EINVAL. */
int sl_parse_per_second(const char *s, uint64_t *per_s);
void sl_format_per_second(uint64_t per_s, char *buf, size_t len);
/** "40%" -> 40 (any whole number that fits; callers bound it). 0 or -EINVAL. */
int sl_parse_percent(const char *s, uint32_t *pct);
/** IPv4/IPv6 literal. 0 or -EINVAL. */
int sl_parse_addr(const char *s, struct sl_addr *out);
/** "192.0.2.1:51820" or "[2001:db8::1]:51820" (brackets for IPv6 only);
 * port 1..65535. 0 or -EINVAL. */
int sl_parse_endpoint(const char *s, struct sl_addr *addr, uint16_t *port);
/** The same spelling back (INET6_ADDRSTRLEN + 8 is enough). */
void sl_format_endpoint(const struct sl_addr *addr, uint16_t port, char *buf, size_t len);
/** "addr/len"; a bare address gets /32 or /128. 0 or -EINVAL. */
int sl_parse_prefix(const char *s, struct sl_prefix *out);
/**
 * Canonical spelling: the largest unit that divides the value exactly
 * ("10s", "0us", "64KiB", "1KB", "100Mbit"; binary size units before
 * decimal ones). Parsing the result gives the value back.
 * SL_UNITS_STR_MAX bytes are always enough.
 */
#define SL_UNITS_STR_MAX 32
void sl_format_duration_us(uint64_t us, char *buf, size_t len);
void sl_format_size_bytes(uint64_t bytes, char *buf, size_t len);
void sl_format_rate_bps(uint64_t bps, char *buf, size_t len);
/** Format an address / prefix (INET6_ADDRSTRLEN + 4 is enough). */
void sl_format_addr(const struct sl_addr *a, char *buf, size_t len);
void sl_format_prefix(const struct sl_prefix *p, char *buf, size_t len);
/** Zero the host bits of @p p in place. */
void sl_prefix_mask(struct sl_prefix *p);
/** True if @p a lies within @p p. */
bool sl_prefix_contains(const struct sl_prefix *p, const struct sl_addr *a);

#endif /* SL_CONFIG_H */
