/*
 * main.c -- the danelab command: global options and verb dispatch.
 *
 * Owns the verb table and the top-level help.  Each verb's work is in
 * cmd_<verb>.c.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <ldns/ldns.h>
#include <openssl/crypto.h>
#include <openssl/opensslv.h>
#include <unbound.h>
#include <yaml.h>

#include "danelab_config.h"
#include "harness/cli.h"
#include "harness/paths.h"
#include "harness/lab/lab.h"
#include "harness/run/run.h"

static const struct cli_verb verbs[] = {
	{ "check", cmd_check, "[FILE|DIR...] [--client NAME]",
	  "validate scenario files (default: the catalogue) or a profile",
	  "Loads every scenario file given (directories are searched for\n"
	  "*.yaml recursively) and reports every problem as\n"
	  "file:line:col: error: message.  Exit 0 when clean, 2 on any error.\n"
	  "With --client NAME (a profile name or a .yaml path), the client\n"
	  "profile is loaded and checked too, against the catalogue: its\n"
	  "deviations must name scenarios that exist, and its 'runtime' must\n"
	  "fit between the phases of every timeline (else a warning says\n"
	  "which and the --time-scale that fits).\n"
	  "\n"
	  "Options:\n"
	  "  -c, --client NAME         check this client profile too\n"
	  "  -W, --warnings-as-errors  exit 2 on warnings too\n"
	  "  -q, --quiet               print nothing but diagnostics\n"
	  "  --schema                  print the scenario format reference\n"
	  "                            (Markdown, from the loader's own tables)\n" },
	{ "list", cmd_list,
	  "[SCENARIO...] [--tag [!]TAG] [--format FORMAT] | --clients",
	  "list the catalogue, or the client profiles",
	  "SCENARIO selects as for run: a catalogue id, a folder (dnssec/), a\n"
	  "glob over ids ('dnssec/missing*': fnmatch without FNM_PATHNAME, '*'\n"
	  "matches '/' too) or a file; default: the whole catalogue.\n"
	  "\n"
	  "Options:\n"
	  "  -t, --tag TAG            only scenarios tagged TAG; '!TAG' leaves\n"
	  "                           them out (repeatable: every TAG must\n"
	  "                           match, no !TAG may); a tag no scenario\n"
	  "                           has, or tags leaving nothing, are\n"
	  "                           errors\n"
	  "  -f, --format text|json|markdown\n"
	  "                           output format (default text); json gives\n"
	  "                           id, title, tags, file, mail domains, MX\n"
	  "                           hosts with addresses, expected actions\n"
	  "                           per policy and phase; markdown gives the\n"
	  "                           table of scenarios/README.md (id, title,\n"
	  "                           category, actions per policy, phases\n"
	  "                           joined by ' > ')\n"
	  "      --clients            instead: the client profiles that\n"
	  "                           --client NAME finds, one per line: the\n"
	  "                           name and its file ($DANELAB_CLIENTS\n"
	  "                           first, then the built-in ones)\n" },
	{ "explain", cmd_explain, "SCENARIO",
	  "what is broken, the RFC rule, what a client must do, how to see it",
	  "SCENARIO is a catalogue id (dnssec/missing-ds) or a file path.\n"
	  "A scenario with a timeline gets a picture of it in 80 columns:\n"
	  "the phases, the client's runs, each host's certificate in service\n"
	  "and TLSA records, and the windows in which a resolver may still\n"
	  "hold an earlier TLSA RRset (one TTL after each change).\n" },
	{ "export", cmd_export, "SCENARIO DIR",
	  "write the world as standard files (zones, keys, certs, configs)",
	  "Writes into DIR (created; must not exist or be empty):\n"
	  "  zones/        signed zone files, one per zone\n"
	  "  keys/         DNSSEC keys per zone (BIND/ldns format)\n"
	  "  anchor/       the lab root trust anchor (root.key, root.ds)\n"
	  "  tls/HOST/     certificate chain, key and TLSA records per MX host\n"
	  "  nsd/          one NSD configuration per zone (own address)\n"
	  "  unbound/      a validating unbound configuration and root hints\n"
	  "  start.sh      starts it all inside a network namespace\n"
	  "  README.txt    what is where\n"
	  "DIR may hold spaces, quotes, '$' or '\\' (the commands shown in\n"
	  "start.sh and README.txt quote it); a '\"' or a control character\n"
	  "(a newline) is refused: NSD and unbound configurations cannot\n"
	  "carry them.\n"
	  "\n"
	  "Options:\n"
	  "  -p, --phase NAME   export the world as it is in timeline phase\n"
	  "                     NAME (default: the first phase)\n"
	  "  -t, --time EPOCH   sign as if now were EPOCH (default: now)\n" },
	{ "serve", cmd_serve, "SCENARIO [OPTIONS]",
	  "bring one world up (DNS, SMTP, resolver) and keep it up",
	  "Builds the world, starts its authoritative DNS servers (one\n"
	  "address per zone, 127.53.0.x), the validating lab resolver\n"
	  "(127.53.53.53: AD on secure answers, SERVFAIL with an extended\n"
	  "DNS error on bogus ones) and an SMTP server with STARTTLS on each\n"
	  "MX host's addresses (127.25.0.x), presenting the scenario's\n"
	  "chain, and prints the addresses, the trust anchor (DS, DNSKEY,\n"
	  "and a file in BIND syntax for delv -a) and commands to paste\n"
	  "(dig, delv, openssl s_client, posttls-finger).  Runs until SIGINT or SIGTERM, then stops\n"
	  "cleanly and removes its temporary files.  The line starting with\n"
	  "\"ready:\" says it is up.\n"
	  "\n"
	  "By default everything is on the host's loopback on port 5300\n"
	  "(SMTP on port 2525), without privileges, and the resolver sends each zone's queries\n"
	  "straight to that zone's server (stub zones: a server on port 5300\n"
	  "cannot be the target of a referral).  With --netns the world runs\n"
	  "in fresh network, mount and pid namespaces on port 53 everywhere,\n"
	  "and the resolver follows referrals from the root like a real one;\n"
	  "enter it with the printed nsenter command ('danelab shell' makes a\n"
	  "world of its own and puts you in it).\n"
	  "\n"
	  "A scenario with a timeline plays it: each phase's world (built\n"
	  "at start, signed with one time) replaces the previous one at the\n"
	  "phase's offset from the moment the servers are up, and a line\n"
	  "\"phase switched at N s: NAME\" says so (and a phase.start event).\n"
	  "\n"
	  "Options:\n"
	  "  -n, --netns          run in fresh namespaces, port 53 (needs\n"
	  "                       root or user namespaces)\n"
	  "      --port N         port of the DNS servers and the resolver\n"
	  "                       (default 5300, with --netns 53)\n"
	  "      --smtp-port N    port of the SMTP servers (default 2525,\n"
	  "                       with --netns each host's own, 25)\n"
	  "      --no-smtp        no SMTP servers\n"
	  "  -p, --phase NAME     serve the world as it is in timeline phase\n"
	  "                       NAME, for good (the timeline is not played)\n"
	  "      --no-timeline    serve the first phase for good\n"
	  "      --time-scale F   the timeline's offsets and TTLs times F\n"
	  "                       (0.1 to 20), as 'danelab run --time-scale'\n"
	  "  -e, --events FILE    append the servers' events (JSON lines)\n"
	  "      --events-limit SIZE\n"
	  "                       stop the event log at SIZE bytes (4K to\n"
	  "                       64G, default 256M), ending it with one\n"
	  "                       log.truncated event (a warning at the end);\n"
	  "                       a write error (a full disk) stops it too,\n"
	  "                       with an error and exit status 1 at the end\n"
	  "      --resolver-log FILE\n"
	  "                       libunbound's log (why answers are bogus)\n"
	  "      --maildir DIR    store each message the SMTP servers accept\n"
	  "                       in DIR, with its envelope\n"
	  "\n"
	  "Example:\n"
	  "  danelab serve dnssec/missing-ds &\n"
	  "  dig +dnssec @127.53.53.53 -p 5300 example.net MX\n" },
	{ "shell", cmd_shell,
	  "SCENARIO [OPTIONS] [-- COMMAND [ARGS...] | --client NAME]",
	  "a shell or a command inside an isolated world",
	  "Runs $SHELL (or /bin/sh), or COMMAND with its arguments (never\n"
	  "through a shell), in fresh network, mount and pid namespaces that\n"
	  "hold the world: its DNS servers on 127.53.0.x port 53, the\n"
	  "SMTP servers (STARTTLS) on the MX hosts' addresses port 25, the\n"
	  "validating resolver on 127.53.53.53 port 53, /etc/resolv.conf\n"
	  "pointing at it (options edns0 trust-ad), and the lab root key\n"
	  "bind-mounted over /usr/share/dns/root.key and root.ds.  Needs\n"
	  "root, or user namespaces (then uid 0 inside is you).  When the\n"
	  "command ends, everything it started ends too, and nothing is left:\n"
	  "no process, mount, namespace or temporary file.\n"
	  "\n"
	  "The command's environment has DANELAB_SCENARIO, DANELAB_RESOLVER,\n"
	  "DANELAB_ANCHOR (the anchor in BIND syntax, for delv -a),\n"
	  "DANELAB_ROOT_KEY, DANELAB_ROOT_DS and DANELAB_WORLD (the world as\n"
	  "standard files, as 'danelab export' writes them), and MAIL_CONFIG\n"
	  "(also DANELAB_MAIL_CONFIG): a directory with a main.cf for\n"
	  "Postfix's client programs, so that 'posttls-finger -c -l dane\n"
	  "example.net' just works.\n"
	  "\n"
	  "Exit status: the command's; 128+N if a signal N killed it; 127 if\n"
	  "it was not found, 126 if it could not be run; 2 if the world could\n"
	  "not be set up.  Ctrl-C goes to the command (an interactive shell\n"
	  "keeps running); SIGTERM or SIGHUP to danelab ends the command\n"
	  "(killed 3 s later if still running).\n"
	  "\n"
	  "A scenario with a timeline plays it from the moment the servers\n"
	  "are up, as 'danelab serve' does; each phase is announced on\n"
	  "stderr (\"phase switched at N s: NAME\").\n"
	  "\n"
	  "Options:\n"
	  "  -q, --quiet          no banner, no phase lines on stderr\n"
	  "  -p, --phase NAME     the world as in timeline phase NAME, for\n"
	  "                       good (the timeline is not played)\n"
	  "      --no-timeline    the first phase, for good\n"
	  "      --time-scale F   the timeline's offsets and TTLs times F\n"
	  "                       (0.1 to 20), as 'danelab run --time-scale'\n"
	  "  -e, --events FILE    append the servers' events (JSON lines)\n"
	  "      --events-limit SIZE\n"
	  "                       stop the event log at SIZE bytes (4K to\n"
	  "                       64G, default 256M), ending it with one\n"
	  "                       log.truncated event (a warning at the end);\n"
	  "                       a write error (a full disk) stops it too,\n"
	  "                       with an error and exit status 1 at the end\n"
	  "      --maildir DIR    store each message the SMTP servers accept\n"
	  "                       in DIR, with its envelope\n"
	  "  -c, --client NAME    instead of a command: run client profile\n"
	  "                       NAME once in the world, as 'danelab run'\n"
	  "                       does (once per phase of a timeline); print\n"
	  "                       its whole output, the evidence and the\n"
	  "                       verdict; keep the cell's directory (the\n"
	  "                       rendered files, plan, events, outputs)\n"
	  "  -P, --policy P       with --client: dane (default) or dane-only\n"
	  "      --keep-dir DIR   with --client: keep the cell in DIR\n"
	  "                       (default: a new $TMPDIR/danelab-shell-*)\n"
	  "      --writable DIR   keep host directory DIR writable inside\n"
	  "                       (repeatable, up to 7)\n"
	  "      --writable-host  no sandbox: the host writable, every\n"
	  "                       capability kept (the environment stays\n"
	  "                       minimal)\n"
	  "\n"
	  "The shell or command runs in the client sandbox, as every client\n"
	  "of 'danelab run' does: the host's files read-only (EROFS), private\n"
	  "copy-on-write copies of /tmp, /var/tmp, /run, /var/spool and\n"
	  "/var/lib, a minimal /dev, only the capabilities CHOWN,\n"
	  "DAC_OVERRIDE, FOWNER, FSETID, KILL, SETGID, SETUID,\n"
	  "NET_BIND_SERVICE and SYS_CHROOT, and a minimal environment (PATH,\n"
	  "TZ, HOME, TERM, LANG, LC_*, USER, LOGNAME, SHELL, PS1, MAIL_CONFIG,\n"
	  "DANELAB_*, the sanitizers' *_OPTIONS; TMPDIR=/tmp).  --events and\n"
	  "--maildir are visible inside, read-only, as they grow.\n"
	  "\n"
	  "Examples:\n"
	  "  danelab shell dnssec/missing-ds\n"
	  "  danelab shell control/valid-dane-ee -- \\\n"
	  "      sh -c 'delv -a \"$DANELAB_ANCHOR\" +root=. example.net MX'\n"
	  "  danelab shell dnssec/ds-mismatch -- dig example.net MX\n"
	  "  danelab shell control/valid-dane-ee -- \\\n"
	  "      posttls-finger -c -l dane -P /etc/ssl/certs example.net\n"
	  "  danelab shell rollover/late-introduction --client postfix-mta\n" },
	{ "probe", cmd_probe, "DOMAIN [OPTIONS]",
	  "the reference RFC 7672 client: look up, decide, deliver",
	  "Delivers one small test message to postmaster@DOMAIN the way an\n"
	  "RFC 7672 (SMTP DANE) client must: MX lookup (failure: defer), MX\n"
	  "hosts by preference, their addresses (a failure: skip the host),\n"
	  "TLSA at _PORT._tcp of the CNAME-expanded host name, then the\n"
	  "original, only when the addresses are DNSSEC-secure (a TLSA lookup\n"
	  "failure: skip the host).  An insecure MX RRset: no DANE, the\n"
	  "primary reading of RFC 7672 2.2.1's MAY.  Validation is its own (libunbound, the\n"
	  "resolver is only a forwarder).  Per host: a secure TLSA RRset with\n"
	  "a usable record (usage 2/3) means TLS with DANE authentication\n"
	  "(DANE-EE: no name or date checks; DANE-TA: names = TLSA base\n"
	  "domain and, when the MX RRset is secure, DOMAIN); only unusable\n"
	  "records: TLS without authentication; otherwise opportunistic TLS.\n"
	  "A host that cannot give what is required is left for the next MX;\n"
	  "when none is left the message is deferred (never bounced, never\n"
	  "sent in cleartext).  SNI is the TLSA base domain.\n"
	  "\n"
	  "Prints the decision trace (each lookup with its DNSSEC state, each\n"
	  "host tried and why it was accepted or skipped, the TLS result and\n"
	  "the matching TLSA record), then\n"
	  "  decision: auth|encrypt|opportunistic|defer [via HOST]\n"
	  "Exit status: 0 delivered (or, with --no-deliver, would have), 1\n"
	  "deferred, 2 usage error or no resolver.\n"
	  "\n"
	  "Options:\n"
	  "      --policy P       dane (default): DANE where published, else\n"
	  "                       opportunistic; dane-only (Postfix's):\n"
	  "                       no delivery without a secure MX RRset and\n"
	  "                       a secure TLSA RRset with a usable record\n"
	  "      --resolver A[@P] forward to A (port P); default: the\n"
	  "                       nameservers of /etc/resolv.conf\n"
	  "      --anchor FILE    trust anchor (DNSKEY or DS, zone-file form);\n"
	  "                       default $DANELAB_ROOT_KEY, else\n"
	  "                       /usr/share/dns/root.key\n"
	  "      --port N         SMTP port (default 25; also in the TLSA name)\n"
	  "      --no-deliver     QUIT after the TLS handshake (or EHLO)\n"
	  "      --json           the result and trace as one JSON object\n"
	  "\n"
	  "Examples:\n"
	  "  danelab shell control/valid-dane-ee -- danelab probe example.net\n"
	  "  danelab shell control/unsigned -- \\\n"
	  "      danelab probe --policy dane-only example.net\n" },
	{ "run", cmd_run, "[SCENARIO...] [OPTIONS]",
	  "run clients against scenarios, scored against RFC 7672",
	  "Runs the client in every scenario given (ids, catalogue folders\n"
	  "such as dnssec/, globs over ids such as 'dnssec/missing*' (fnmatch\n"
	  "without FNM_PATHNAME: '*' matches '/' too), or scenario files;\n"
	  "default: the whole catalogue; see --tag)\n"
	  "under both policies, each (scenario, client, policy) cell in fresh\n"
	  "namespaces holding the world: DNS servers, the validating lab\n"
	  "resolver in /etc/resolv.conf, the lab anchor over\n"
	  "/usr/share/dns/root.key and root.ds, the MX hosts' SMTP servers.\n"
	  "A scenario with a timeline plays it in real time, and the client\n"
	  "runs at the start of every phase.  What the SMTP servers saw,\n"
	  "counted per MX host (sessions, messages in cleartext and over\n"
	  "TLS, handshakes), the client's exit status (as its profile\n"
	  "declares them) and what it says (its profile's patterns) are\n"
	  "scored against the scenario's expectation by named rules over\n"
	  "every host (next-mx-used, cleartext, unauthenticated, sni,\n"
	  "undelivered, decision): PASS, FAIL, SKIP, HANG, ERROR, XFAIL,\n"
	  "XPASS.  The summary line goes to standard error when no text\n"
	  "report goes to standard output.\n"
	  "\n"
	  "The control scenarios run first with the reference client; if\n"
	  "one fails, the environment is broken, nothing else runs, and every\n"
	  "cell is ERROR.\n"
	  "\n"
	  "Options:\n"
	  "  -c, --client NAME[,NAME...]\n"
	  "                         the client profile (harness/clients/NAME.yaml,\n"
	  "                         or a path; default: reference, the built-in\n"
	  "                         client, searched in $DANELAB_CLIENTS first):\n"
	  "                         reference, posttls-finger, postfix-mta,\n"
	  "                         exim ($DANELAB_EXIM), swaks, ldns-dane,\n"
	  "                         danetool, hash-slinger (checkers: one\n"
	  "                         column, scored on their diagnosis);\n"
	  "                         several (at most 16): every client over the\n"
	  "                         same worlds, their cells in one --jobs pool,\n"
	  "                         the environment check once, one report with\n"
	  "                         a column per client and policy and a summary\n"
	  "                         per client (as 'report merge' of one run per\n"
	  "                         client would make)\n"
	  "  -P, --policy POLICY    dane, dane-only or both (default both)\n"
	  "  -j, --jobs N           cells at once (default: the number of CPUs);\n"
	  "                         timeline cells wait for the clock and run\n"
	  "                         next to them\n"
	  "  -s, --shard K/N        run only shard K of N (cells dealt round\n"
	  "                         robin); merge the JSON reports with\n"
	  "                         'danelab report merge'\n"
	  "  -f, --format LIST      text, json, junit, tap, html, comma-separated\n"
	  "                         (default text)\n"
	  "  -o, --output FILE      where each format goes, in the order of\n"
	  "                         --format (one fewer: the first goes to\n"
	  "                         standard output)\n"
	  "  -k, --keep             keep the directory of every cell that did\n"
	  "                         not pass (events, client output, world,\n"
	  "                         cell.json: 'danelab score --cell DIR')\n"
	  "  -v, --verbose          text: the evidence of every result\n"
	  "      --no-progress      no progress line on a terminal\n"
	  "  -l, --list             print the cells and exit\n"
	  "  -t, --tag TAG          only scenarios tagged TAG; '!TAG' leaves\n"
	  "                         them out (repeatable: every TAG must match,\n"
	  "                         no !TAG may); a tag no scenario has, or\n"
	  "                         tags leaving nothing, are errors\n"
	  "      --rerun-failed REPORT.json\n"
	  "                         only the cells (scenario, client, policy)\n"
	  "                         with a result in REPORT.json that did not\n"
	  "                         pass: FAIL, HANG, ERROR or XPASS (SKIP and\n"
	  "                         XFAIL count as passed; a timeline cell\n"
	  "                         with one such phase); the clients are\n"
	  "                         those that failed there unless --client\n"
	  "                         is given; nothing failed: says so, exit 0\n"
	  "      --time-scale F     stretch (F > 1) or shrink every timeline\n"
	  "                         by F, 0.1 to 20: phase offsets and the\n"
	  "                         world's TTLs (zone defaults and SOA\n"
	  "                         minimum, records, TLSA), rounded to whole\n"
	  "                         seconds, so that a slow client (an MTA)\n"
	  "                         finishes each phase's run before the next\n"
	  "                         phase starts; the report records F\n"
	  "      --events-limit SIZE\n"
	  "                         size limit of each cell's event log (64M,\n"
	  "                         the default and the most; at least 4K): a\n"
	  "                         cell whose log reaches it is ERROR (the\n"
	  "                         environment check keeps 64M)\n"
	  "      --writable DIR     keep host directory DIR writable for the\n"
	  "                         clients (repeatable, up to 7)\n"
	  "      --baseline FILE    after the reports, compare this run with\n"
	  "                         the JSON report FILE (as 'report diff\n"
	  "                         FILE', text, on standard error, so that\n"
	  "                         a report on standard output stays whole)\n"
	  "                         and exit 1 if anything got worse: a cell\n"
	  "                         not failing in FILE (or not in it) that\n"
	  "                         fails now\n"
	  "\n"
	  "A client's output is kept on disk up to 1 MiB per run; the rest is\n"
	  "read and dropped, and the result's reason says how much.\n"
	  "\n"
	  "Every client runs in a sandbox: the host read-only, private\n"
	  "copies of /tmp, /var/tmp, /run, /var/spool and /var/lib, a minimal\n"
	  "/dev, the cell's directory writable, only the capabilities an MTA\n"
	  "needs as root, a minimal environment (README: the client sandbox).\n"
	  "\n"
	  "Exit: 0 all as expected, 1 any FAIL, XPASS, HANG or ERROR (or\n"
	  "interrupted, or worse than --baseline), 2 usage or input error,\n"
	  "77 everything skipped.\n"
	  "\n"
	  "Examples:\n"
	  "  danelab run\n"
	  "  danelab run --client posttls-finger --format text,html -o card.html\n"
	  "  danelab run dnssec/ rollover/late-introduction --policy dane\n"
	  "  danelab run --client posttls-finger --time-scale 2 rollover/\n"
	  "  danelab run --client reference,posttls-finger,swaks -f html -o m.html\n"
	  "  danelab run --shard 1/2 --format json -o 1.json   (and 2/2)\n" },
	{ "score", cmd_score, "SCENARIO --events FILE [OPTIONS] | --cell DIR",
	  "score evidence again: a kept cell, or a hand-written event log",
	  "Scores a client run again with danelab run's scorer, without\n"
	  "running anything: a cell kept by 'danelab run --keep' (its\n"
	  "cell.json names the scenario, the client profile and the policy;\n"
	  "edit the profile's claims, exit statuses or deviations and score\n"
	  "again), or an event log in the EVENTS.md format, hand-written or\n"
	  "from 'danelab serve --events', with the client's output and exit\n"
	  "status.  Without client.start/client.end events every session in\n"
	  "the log belongs to the run, and --status gives its exit status.\n"
	  "\n"
	  "Options:\n"
	  "      --cell DIR         a kept cell: every moment of it (at the\n"
	  "                         --time-scale the cell ran at)\n"
	  "      --events FILE      the event log (JSON lines, EVENTS.md)\n"
	  "  -c, --client NAME      the client profile (default: reference;\n"
	  "                         with --cell: the one the cell ran)\n"
	  "  -P, --policy POLICY    dane (default) or dane-only\n"
	  "      --phase NAME       the timeline phase the run was in\n"
	  "      --client-output FILE  what the client printed\n"
	  "      --status N         its exit status (128+N: killed by signal N)\n"
	  "      --timed-out        it was killed after its timeout\n"
	  "  -f, --format LIST      text, json, junit, tap, html (default text)\n"
	  "  -o, --output FILE      as for 'danelab run'\n"
	  "  -v, --verbose          text: the evidence of every result\n"
	  "\n"
	  "Exit: as 'danelab run' (0 as expected, 1 FAIL/XPASS/HANG/ERROR,\n"
	  "2 usage or input error, 77 skipped).\n"
	  "\n"
	  "Examples:\n"
	  "  danelab run --client swaks --keep dnssec/   (cells kept in the\n"
	  "      directory the report names)\n"
	  "  danelab score --cell /tmp/danelab-keep.x/dnssec_ds-mismatch.swaks.dane\n"
	  "  danelab score control/valid-dane-ee --events ev.jsonl --status 0 \\\n"
	  "      --client swaks --client-output out.txt --format json\n" },
	{ "report", cmd_report, "merge|show|diff FILE... [OPTIONS]",
	  "merge JSON reports (shards, clients), render one, or diff two",
	  "  merge FILE...  read JSON reports (danelab run --format json)\n"
	  "                 and merge them into one: the shards of one run\n"
	  "                 (--shard K/N), or runs of different clients over\n"
	  "                 the same scenarios, one matrix with a column per\n"
	  "                 client and policy (what run --client a,b makes\n"
	  "                 in one go); a result found twice, or reports at\n"
	  "                 different --time-scale, are an error; default\n"
	  "                 format json\n"
	  "  show FILE      render one JSON report again; default format\n"
	  "                 text\n"
	  "  diff OLD NEW   compare two JSON reports cell by cell (scenario,\n"
	  "                 client, policy, phase): new failures, fixed,\n"
	  "                 changed verdicts, added and removed cells;\n"
	  "                 formats text (default), json, junit, html.\n"
	  "                 Failing is FAIL, ERROR, HANG or XPASS; a new\n"
	  "                 failure is a cell failing in NEW that was not\n"
	  "                 in OLD (PASS, XFAIL, SKIP or absent); fixed,\n"
	  "                 failing -> PASS or XFAIL; a removed cell is\n"
	  "                 listed, not worse; a different --time-scale\n"
	  "                 is noted\n"
	  "\n"
	  "Exit status: merge, show: that of the (merged) run: 0 all as\n"
	  "expected, 1 a FAIL, XPASS, HANG or ERROR or an interrupted run,\n"
	  "77 all skipped; diff: 1 any new failure, else 0; 2 usage error\n"
	  "or a file that is not a danelab report (diagnostics as\n"
	  "FILE:LINE:COL: error: ...).\n"
	  "\n"
	  "Options:\n"
	  "  -f, --format F[,F...]  text, json, junit, tap, html (one\n"
	  "                         self-contained page); several formats\n"
	  "                         need one --output each, in order, or\n"
	  "                         one fewer: the first goes to standard\n"
	  "                         output\n"
	  "  -o, --output FILE      write the next format to FILE, replaced\n"
	  "                         atomically (\"-\": standard output);\n"
	  "                         default standard output\n"
	  "  -v, --verbose          text: the evidence of every result, not\n"
	  "                         only of those that are not PASS\n"
	  "      --no-color         text: no ANSI colours on a terminal\n"
	  "\n"
	  "Examples:\n"
	  "  danelab report merge shard-*.json --output run.json\n"
	  "  danelab report merge reference.json exim.json --format html \\\n"
	  "      --output matrix.html\n"
	  "  danelab report merge shard-*.json --format json,html,junit \\\n"
	  "      --output run.json --output run.html --output junit.xml\n"
	  "  danelab report show run.json --verbose\n"
	  "  danelab report show run.json --format tap\n"
	  "  danelab report diff release.json run.json --format text,junit \\\n"
	  "      --output diff.xml\n" },
	{ NULL, NULL, NULL, NULL, NULL },
};

const struct cli_verb *
cli_verb_find(const char *name)
{
	const struct cli_verb *v;

	for (v = verbs; v->name != NULL; v++)
		if (strcmp(v->name, name) == 0)
			return v;
	return NULL;
}

void
cli_verb_usage(const struct cli_ctx *ctx, const struct cli_verb *v, bool full)
{
	FILE *fp = full ? stdout : stderr;

	fprintf(fp, "usage: %s %s %s\n", ctx->prog, v->name, v->args);
	if (full)
		fprintf(fp, "\n%s.\n\n%s", v->summary, v->help);
	else
		fprintf(fp, "Try '%s %s --help'.\n", ctx->prog, v->name);
}

bool
cli_is_help(const char *arg)
{
	return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}

static void
usage(const struct cli_ctx *ctx, FILE *fp)
{
	const struct cli_verb *v;

	fprintf(fp,
	    "usage: %s [OPTIONS] VERB [ARGS...]\n"
	    "\n"
	    "danelab builds private, deliberately misconfigured DANE worlds for\n"
	    "SMTP (signed DNS, certificates, TLSA) and scores DANE clients\n"
	    "against RFC 7672.\n"
	    "\n"
	    "Verbs:\n", ctx->prog);
	for (v = verbs; v->name != NULL; v++)
		fprintf(fp, "  %-9s %s\n", v->name, v->summary);
	fprintf(fp,
	    "\n"
	    "Options:\n"
	    "  --fixtures DIR    test PKI and DNSSEC keys (default: $DANELAB_FIXTURES\n"
	    "                    or %s)\n"
	    "  --scenarios DIR   the catalogue (default: $DANELAB_SCENARIOS or\n"
	    "                    %s)\n"
	    "  -h, --help        this text; '%s VERB --help' for a verb\n"
	    "  --version         print the version, and those of the libraries\n"
	    "                    it runs with (ldns, OpenSSL, libunbound,\n"
	    "                    libyaml, jansson)\n"
	    "\n"
	    "Environment:\n"
	    "  DANELAB_CLIENTS   directories of client profiles (':'), searched\n"
	    "                    before the built-in ones in\n"
	    "                    %s\n"
	    "  NO_COLOR          no colours on a terminal\n"
	    "\n"
	    "Exit status: 0 all as expected, 1 unexpected results, 2 usage or\n"
	    "input error, 77 everything skipped.\n",
	    danelab_data_dir(DANELAB_DATA_FIXTURES),
	    danelab_data_dir(DANELAB_DATA_SCENARIOS), ctx->prog,
	    danelab_data_dir(DANELAB_DATA_CLIENTS));
}

/*
 * The directory of $name if set (*origin = set_by), else dflt (*origin:
 * the installed data or the source tree), for messages about a
 * directory that is not there.
 */
static const char *
env_or(const char *name, const char *set_by, const char *dflt,
    const char **origin)
{
	const char *v = getenv(name);

	if (v != NULL && *v != '\0') {
		*origin = set_by;
		return v;
	}
	*origin = danelab_data_origin();
	return dflt;
}

/*
 * --version: danelab's, then the libraries it runs with, as they say
 * at run time (a shared library may be newer than the headers it was
 * built with); jansson's at run time too (jansson_version_str, 2.13).
 */
static void
version(void)
{
	printf("danelab %s\n", DANELAB_VERSION);
	printf("ldns %s\n", ldns_version());
	printf("%s", OpenSSL_version(OPENSSL_VERSION));
	if (OpenSSL_version_num() != OPENSSL_VERSION_NUMBER)
		printf(" (built with %s)", OPENSSL_VERSION_TEXT);
	printf("\n");
	printf("libunbound %s\n", ub_version());
	printf("libyaml %s\n", yaml_get_version_string());
	printf("jansson %s\n", jansson_version_str());
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "fixtures", required_argument, NULL, 'F' },
		{ "scenarios", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_ctx ctx;
	const struct cli_verb *v;
	int c;

	memset(&ctx, 0, sizeof(ctx));
	ctx.prog = "danelab";
	ctx.fixtures_dir = env_or("DANELAB_FIXTURES",
	    "set by DANELAB_FIXTURES", danelab_data_dir(DANELAB_DATA_FIXTURES),
	    &ctx.fixtures_origin);
	ctx.scenarios_dir = env_or("DANELAB_SCENARIOS",
	    "set by DANELAB_SCENARIOS",
	    danelab_data_dir(DANELAB_DATA_SCENARIOS), &ctx.scenarios_origin);
	ctx.color = isatty(STDOUT_FILENO) && getenv("NO_COLOR") == NULL;

	/* '+': stop at the verb; its options are its own. */
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'F':
			ctx.fixtures_dir = optarg;
			ctx.fixtures_origin = "set by --fixtures";
			break;
		case 'S':
			ctx.scenarios_dir = optarg;
			ctx.scenarios_origin = "set by --scenarios";
			break;
		case 'h':
			usage(&ctx, stdout);
			return CLI_EXIT_OK;
		case 'V':
			version();
			return CLI_EXIT_OK;
		default:
			usage(&ctx, stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(&ctx, stderr);
		return CLI_EXIT_USAGE;
	}
	/* The client runner of `run` (run.h), not a verb for people. */
	if (strcmp(argv[optind], "__client") == 0)
		return run_client_main(argc - optind, argv + optind);
	/* The client and shell sandbox (lab.h), likewise. */
	if (strcmp(argv[optind], "__sandbox") == 0)
		return lab_sandbox_main(argc - optind, argv + optind);
	if (strcmp(argv[optind], "help") == 0) {
		if (optind + 1 < argc &&
		    (v = cli_verb_find(argv[optind + 1])) != NULL) {
			cli_verb_usage(&ctx, v, true);
			return CLI_EXIT_OK;
		}
		usage(&ctx, stdout);
		return CLI_EXIT_OK;
	}
	if ((v = cli_verb_find(argv[optind])) == NULL) {
		fprintf(stderr, "%s: unknown verb '%s'\n", ctx.prog,
		    argv[optind]);
		usage(&ctx, stderr);
		return CLI_EXIT_USAGE;
	}
	argc -= optind;
	argv += optind;
	optind = 0;	/* glibc: full reinitialisation for the verb */
	if (argc > 1 && cli_is_help(argv[1])) {
		cli_verb_usage(&ctx, v, true);
		return CLI_EXIT_OK;
	}
	return v->fn(&ctx, argc, argv);
}
