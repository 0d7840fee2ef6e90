/*
 * provisioner show ENV_FILE [-o json|yaml]: the merged, resolved model,
 * "format": "provisioner-model/1", keys in the model's order.
 *
 * Secrets appear only as references (where the value lives); the model
 * never holds a secret's value, so there is nothing else to redact. Values
 * of variables whose names look secret are redacted all the same, as a
 * second line of defence.
 */
#include "cmd.h"
#include "usage.h"
#include "validate.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

/* no text: the model has no other form; the values are cmd_output_formats' but for text */
static const char *const formats[] = { "json", "yaml", NULL };
static int output;

static const struct cli_option show_options[] = {
	ENV_OPTS,
	OPT_CHOICE('o', "output", &output, "FORMAT", "json (the default) or yaml", formats),
	OPT_END(),
};

static void redact(json_t *services)
{
	const char *name;
	json_t *svc;

	json_object_foreach(services, name, svc) {
		json_t *env = json_object_get(svc, "env");
		const char *key;
		json_t *val;

		json_object_foreach(env, key, val)
			if (looks_secret(key))
				json_object_set_new(env, key, json_string("<redacted>"));
	}
}

static json_t *model_json(const struct env_model *m)
{
	json_t *o = json_object(), *body = yd_encode(&env_schema, m);

	json_object_set_new(o, "format", json_string(CMD_FORMAT_MODEL));
	json_object_set_new(o, "environment", json_string(m->env_name));
	json_object_set_new(o, "branch", m->branch ? json_string(m->branch) : json_null());
	json_object_set_new(o, "commit", m->commit ? json_string(m->commit) : json_null());
	json_object_set_new(o, "file", json_string(m->file));
	redact(json_object_get(body, "services"));
	json_object_update(o, body);
	json_decref(body);
	return o;
}

static enum cli_result cmd_show_exec(struct cli_ctx *ctx)
{
	json_t *o = model_json(cmd_model(ctx));

	cmd_dump(o, output ? CMD_OUTPUT_YAML : CMD_OUTPUT_JSON, 0);
	json_decref(o);
	return CLI_OK;
}

const struct cli_cmd cmd_show_entry = {
	.name = "show",
	.args = "ENV_FILE [-o json|yaml] [--branch B] [--commit C]",
	.summary = "print the merged, resolved model (secrets as references only)",
	.flags = CMD_NEEDS_ENV,
	.options = show_options,
	.min_args = 1, .max_args = 1,
	.exec = cmd_show_exec,
};
