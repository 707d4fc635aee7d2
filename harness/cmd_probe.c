/*
 * cmd_probe.c -- `danelab probe DOMAIN`: the reference RFC 7672 client
 * (harness/refclient/) run once against DOMAIN, normally inside a world
 * (`danelab shell ID -- danelab probe example.net`).  Prints the decision
 * trace and a final line "decision: ACTION via HOST".
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/cli.h"
#include "harness/refclient/refclient.h"
#include "simulator/util/json.h"

static const char DEFAULT_ANCHOR[] = "/usr/share/dns/root.key";

static void
print_json(const struct rc_probe_opts *o, const struct rc_probe_result *r)
{
	struct json_writer j;
	size_t i;

	json_init(&j, stdout, true);
	json_obj_begin(&j);
	json_key(&j, "domain");
	json_str(&j, o->domain);
	json_key(&j, "policy");
	json_str(&j, o->policy == RC_POLICY_DANE_ONLY ? "dane-only" : "dane");
	json_key(&j, "decision");
	json_str(&j, rc_final_name(r->final));
	json_key(&j, "via");
	json_str(&j, r->via[0] ? r->via : NULL);
	json_key(&j, "delivered");
	json_bool(&j, r->final != RC_FINAL_DEFER && o->deliver);
	json_key(&j, "mx");
	json_str(&j, r->lk.mx.done ? rc_state_name(r->lk.mx.state) : NULL);
	json_key(&j, "hosts");
	json_arr_begin(&j);
	for (i = 0; i < r->lk.nhosts; i++) {
		const struct rc_host *h = &r->lk.hosts[i];

		json_obj_begin(&j);
		json_key(&j, "host");
		json_str(&j, h->name);
		json_key(&j, "preference");
		json_int(&j, h->pref);
		json_key(&j, "address");
		json_str(&j, h->addr.done ? rc_state_name(h->addr.state) :
		    NULL);
		json_key(&j, "tlsa");
		json_str(&j, h->tlsa.done ? rc_state_name(h->tlsa.state) :
		    NULL);
		json_key(&j, "tlsa_base");
		json_str(&j, h->tlsa.done ? h->tlsa_base : NULL);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_key(&j, "trace");
	json_arr_begin(&j);
	for (i = 0; i < r->nlines; i++)
		json_str(&j, r->lines[i]);
	json_arr_end(&j);
	json_obj_end(&j);
	fputc('\n', stdout);
}

int
cmd_probe(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"policy", required_argument, NULL, 'P'},
	    {"resolver", required_argument, NULL, 'r'},
	    {"anchor", required_argument, NULL, 'a'},
	    {"port", required_argument, NULL, 'p'},
	    {"no-deliver", no_argument, NULL, 'n'},
	    {"json", no_argument, NULL, 'j'},
	    {NULL, 0, NULL, 0},
	};
	const struct cli_verb *v = cli_verb_find("probe");
	struct rc_probe_opts o = {
		.policy = RC_POLICY_DANE,
		.port = 25,
		.deliver = true,
		.timeout_s = 10,
	};
	struct rc_probe_result *r;
	bool json = false;
	size_t i;
	int c, rc;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'P':
			if (strcmp(optarg, "dane") == 0)
				o.policy = RC_POLICY_DANE;
			else if (strcmp(optarg, "dane-only") == 0)
				o.policy = RC_POLICY_DANE_ONLY;
			else {
				fprintf(stderr, "%s %s: --policy must be dane "
				    "or dane-only\n", ctx->prog, v->name);
				return CLI_EXIT_USAGE;
			}
			break;
		case 'r':
			o.resolver = optarg;
			break;
		case 'a':
			o.anchor = optarg;
			break;
		case 'p':
			if (cli_port(ctx, v->name, "port", optarg, &o.port) != 0)
				return CLI_EXIT_USAGE;
			break;
		case 'n':
			o.deliver = false;
			break;
		case 'j':
			json = true;
			break;
		default:
			cli_verb_usage(ctx, v, false);
			return CLI_EXIT_USAGE;
		}
	}
	if (argc - optind != 1) {
		cli_verb_usage(ctx, v, false);
		return CLI_EXIT_USAGE;
	}
	o.domain = argv[optind];
	if (o.anchor == NULL)
		o.anchor = getenv("DANELAB_ROOT_KEY");
	if (o.anchor == NULL || o.anchor[0] == '\0')
		o.anchor = DEFAULT_ANCHOR;
	/* libunbound only reads the file at the first query: check now. */
	if (access(o.anchor, R_OK) != 0) {
		fprintf(stderr, "%s %s: trust anchor %s: %s\n", ctx->prog,
		    v->name, o.anchor, strerror(errno));
		return CLI_EXIT_USAGE;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		fprintf(stderr, "%s %s: out of memory\n", ctx->prog, v->name);
		return CLI_EXIT_FAIL;
	}
	rc = rc_probe_run(&o, r);
	if (rc != 0) {
		fprintf(stderr, "%s %s: %s\n", ctx->prog, v->name,
		    r->nlines > 0 ? r->lines[r->nlines - 1] : "failed");
		rc_probe_result_clear(r);
		free(r);
		return CLI_EXIT_USAGE;
	}
	if (json) {
		print_json(&o, r);
	} else {
		for (i = 0; i < r->nlines; i++)
			printf("%s\n", r->lines[i]);
		if (r->via[0])
			printf("decision: %s via %s\n",
			    rc_final_name(r->final), r->via);
		else
			printf("decision: %s\n", rc_final_name(r->final));
	}
	rc = r->final == RC_FINAL_DEFER ? CLI_EXIT_FAIL : CLI_EXIT_OK;
	rc_probe_result_clear(r);
	free(r);
	return rc;
}
