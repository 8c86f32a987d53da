/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * REST: load-balanced services.
 *
 *   GET    /api/v1/services          every service, its backends' health and counts
 *   GET    /api/v1/services/{name}   one
 *   PUT    /api/v1/services/{name}   create or replace it (the body: one member
 *                                    of the config's "services"); applied live
 *   DELETE /api/v1/services/{name}   remove it; its connections keep their
 *                                    backends until they end
 *
 * Services are part of the configuration document: a change is validated
 * with the whole document, persisted and published like PUT /api/v1/config.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "sluice.h"

#define ERR_LEN 512

void sl_api_services_get(const struct sl_mgmt_request *req, struct sl_mgmt_response *resp, void *arg)
{
	struct sl_app *app = arg;
	(void)req;
	json_t *list = app->lb != NULL ? sl_lb_json(app->lb, app->cfg, NULL) : json_array();
	sl_mgmt_respond_json(resp, 200, json_pack("{s:o}", "services", list));
}

void sl_api_service_get(const struct sl_mgmt_request *req, struct sl_mgmt_response *resp, void *arg)
{
	struct sl_app *app = arg;
	json_t *list = app->lb != NULL ? sl_lb_json(app->lb, app->cfg, req->path_rest) : NULL;
	if (list == NULL || json_array_size(list) == 0) {
		json_decref(list);
		sl_mgmt_respond_problem(resp, 404, "No such service", "name",
					"name: no service named \"%s\"", req->path_rest);
		return;
	}
	json_t *one = json_incref(json_array_get(list, 0));
	json_decref(list);
	sl_mgmt_respond_json(resp, 200, one);
}

void sl_api_service_put(const struct sl_mgmt_request *req, struct sl_mgmt_response *resp, void *arg)
{
	struct sl_app *app = arg;
	json_t *svc = sl_api_body_json(req, resp);
	if (svc == NULL)
		return;
	if (!json_is_object(svc)) {
		json_decref(svc);
		sl_mgmt_respond_problem(resp, 422, "Invalid service", "body", "body: expected an object");
		return;
	}
	const char *name = json_string_value(json_object_get(svc, "name"));
	if (json_object_get(svc, "name") != NULL && (name == NULL || strcmp(name, req->path_rest) != 0)) {
		json_decref(svc);
		sl_mgmt_respond_problem(resp, 422, "Invalid service", "name",
					"name: does not match the path (\"%s\")", req->path_rest);
		return;
	}
	json_object_set_new(svc, "name", json_string(req->path_rest));

	/* The running document's services with this one in its place (or last). */
	json_t *list = json_array();
	for (unsigned i = 0; list != NULL && i < app->cfg->n_services; i++)
		json_array_append_new(list, sl_config_service_json(&app->cfg->services[i]));
	int at = sl_config_service_find(app->cfg, req->path_rest);
	if (list == NULL || (at >= 0 ? json_array_set(list, (size_t)at, svc) :
				       json_array_append(list, svc)) != 0) {
		json_decref(svc);
		json_decref(list);
		sl_mgmt_respond_problem(resp, 500, "Out of memory", NULL, "cannot build the configuration");
		return;
	}
	json_decref(svc);
	if (!sl_api_apply_section(app, resp, "services", list, "Invalid service"))
		return;
	int idx = sl_config_service_find(app->cfg, req->path_rest);
	sl_mgmt_respond_json(resp, at >= 0 ? 200 : 201, json_pack("{s:o, s:I}", "service",
		sl_config_service_json(&app->cfg->services[idx]), "generation",
		(json_int_t)app->generation));
}

void sl_api_service_delete(const struct sl_mgmt_request *req, struct sl_mgmt_response *resp,
			   void *arg)
{
	struct sl_app *app = arg;
	char err[ERR_LEN] = "";
	int at = sl_config_service_find(app->cfg, req->path_rest);
	if (at < 0) {
		sl_mgmt_respond_problem(resp, 404, "No such service", "name",
					"name: no service named \"%s\"", req->path_rest);
		return;
	}
	struct sl_config *next = sl_config_dup(app->cfg);
	if (next == NULL) {
		sl_mgmt_respond_problem(resp, 500, "Out of memory", NULL, "cannot copy the configuration");
		return;
	}
	memmove(&next->services[at], &next->services[at + 1],
		sizeof(*next->services) * (next->n_services - (unsigned)at - 1));
	next->n_services--;
	enum sl_apply_result r = sl_app_apply(app, next, false, NULL, err, sizeof(err));
	if (r != SL_APPLY_OK) {
		sl_api_respond_apply_error(resp, r, err);
		return;
	}
	sl_mgmt_respond_json(resp, 200, json_pack("{s:s, s:I}", "deleted", req->path_rest,
		"generation", (json_int_t)app->generation));
}
