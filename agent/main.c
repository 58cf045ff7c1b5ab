/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * corovipd: the composition root. Parse the command line, set up logging,
 * then either check a configuration (--test-config) or run the daemon
 * (daemon.c) in the foreground, as systemd expects.
 */
#include <getopt.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config-load.h"
#include "cv-macros.h"
#include "daemon.h"
#include "log.h"
#include "reaper.h"

/* Exit codes (sysexits-aligned, as Pacemaker's crm_exit_t). */
enum {
	EXIT_OK = 0,
	EXIT_USAGE = 64,
	EXIT_CONFIG = 78,
};

/* configure --sysconfdir (a package: /etc) */
#define DEFAULT_CONFIG CV_SYSCONFDIR "/corovip/corovip.conf"
#define DEFAULT_STATE_DIR CV_LOCALSTATEDIR "/lib/corovip"

static void
usage(FILE *f)
{
	fprintf(f, "Usage: corovipd [--config FILE] [--foreground] [--debug] [--state-dir DIR]\n"
		   "                [--test-config [FILE]]\n"
		   "\n"
		   "  -c, --config FILE       configuration file (default " DEFAULT_CONFIG ")\n"
		   "  -f, --foreground        log to stderr instead of syslog\n"
		   "  -d, --debug             log debug messages too (whatever log_level says)\n"
		   "  -s, --state-dir DIR     the runtime commands (moves, standby, maintenance)\n"
		   "                          and blackbox dumps (SIGUSR2, a crash) go there\n"
		   "                          (default $STATE_DIRECTORY, else " DEFAULT_STATE_DIR ")\n"
		   "  -t, --test-config [FILE] check the configuration and print the effective\n"
		   "                          one (every default filled in); exit 0 or 78\n"
		   "  -h, --help              this text\n"
		   "  -V, --version           print the version\n");
}

/* What each check runs (its kind and target), for the summary. */
static void
print_check(const struct cv_config *c, const char *name, const char *sep)
{
	const struct cv_check_conf *k = cv_config_find_check(c, name);

	if (!k)
		return;
	printf(" %s (%s %s)%s", name, cv_check_kind(k), cv_check_target(k), sep);
}

/*
 * After the effective config, a summary of what follows each VIP: its
 * checks (what they run) and notify hooks. As comments: the output stays a
 * config that reads back to the same meaning.
 */
static void
print_vip_services(const struct cv_config *c)
{
	if (c->n_vips)
		printf("\n# what each VIP follows here: checks (all must pass) and notify hooks\n");
	for (size_t i = 0; i < c->n_vips; i++) {
		const struct cv_vip_conf *v = &c->vips[i];

		printf("# VIP %s: checks", v->head.name);
		for (size_t j = 0; j < v->check.n; j++)
			print_check(c, v->check.names[j], j + 1 < v->check.n ? "," : "");
		printf("%s; notify %s%s%s\n", v->check.n ? "" : " none", v->notify ? v->notify : "none",
		       c->cluster.notify ? ", cluster-wide " : "",
		       c->cluster.notify ? c->cluster.notify : "");
	}
}

static int
test_config(const char *path)
{
	struct cv_config *c = NULL;
	struct cv_conf_error e = {};
	_cleanup_free_ char *text = NULL;
	char warning[sizeof(e.msg)];
	int r;

	/* Owner and mode only warn: the corpus is checked by whoever builds. */
	r = cv_config_load_check(path, warning, sizeof(warning), &c, &e);
	if (warning[0])
		fprintf(stderr, "%s: warning: %s\n", path, warning);
	if (r < 0) {
		cv_config_print_error(stderr, path, r, &e);
		return EXIT_CONFIG;
	}
	r = cv_config_format(c, &text);
	if (r < 0) {
		cv_config_free(c);
		fprintf(stderr, "corovipd: out of memory\n");
		return EXIT_CONFIG;
	}
	printf("# effective configuration of %s (every default filled in)\n%s", path, text);
	print_vip_services(c);
	cv_config_free(c);
	return EXIT_OK;
}

int
main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "debug", no_argument, NULL, 'd' },
		{ "state-dir", required_argument, NULL, 's' },
		{ "test-config", optional_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{},
	};
	const char *config = DEFAULT_CONFIG, *state_dir = DEFAULT_STATE_DIR;
	char env_dir[512];
	bool state_dir_given = false;
	bool test = false, foreground = false, debug = false;
	int c, code;

	/*
	 * Large blocks always in their own mappings, the threshold fixed: once
	 * a big block was freed (a 10,000-VIP config's tables), glibc raises
	 * it, and the 1 MB receive buffers libqb callocs for each corosync
	 * connection then land in the heap, zeroed there page by page: 1 MB
	 * resident each, where a mapping stays untouched until used.
	 */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	/* The daemon runs its reaper as our own binary again (reaper.h). */
	if (argc > 1 && strcmp(argv[1], CV_REAPER_ARG) == 0)
		return cv_reaper_main(argc, argv);
	while ((c = getopt_long(argc, argv, "c:fds:t::hV", options, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case 'f':
			foreground = true;
			break;
		case 'd':
			debug = true;
			break;
		case 's':
			state_dir = optarg;
			state_dir_given = true;
			break;
		case 't':
			test = true;
			/* "--test-config FILE" as well as "--test-config=FILE" */
			if (!optarg && optind < argc && argv[optind][0] != '-')
				optarg = argv[optind++];
			if (optarg)
				config = optarg;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'V':
			printf("corovipd %s\n", PACKAGE_VERSION);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (test)
		return test_config(config);
	/* systemd's StateDirectory= says where (the first of its list) */
	if (!state_dir_given && getenv("STATE_DIRECTORY") && getenv("STATE_DIRECTORY")[0]) {
		snprintf(env_dir, sizeof(env_dir), "%s", getenv("STATE_DIRECTORY"));
		env_dir[strcspn(env_dir, ":")] = '\0';
		state_dir = env_dir;
	}
	cv_log_init("corovipd", foreground, debug);
	code = cv_daemon_run(config, state_dir, foreground, debug);
	cv_log_fini();
	return code;
}
