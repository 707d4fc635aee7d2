/*
 * replay.c -- run a fuzz target over corpus files without libFuzzer.
 *
 * Usage: replay_<target> PATH...  Each PATH is a file or a folder (read
 * recursively, hidden entries skipped); every file is passed to
 * LLVMFuzzerTestOneInput() once.  Linked with one fuzz_<target>.c, it
 * turns each corpus into a regression test that runs in every `meson
 * test`, under the sanitizers when the build has them.  Every PATH is in
 * the source tree: one that is missing or unreadable, or no file at all,
 * fails the replay (exit 1), never skips it.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/fuzz/fuzz.h"

/* Larger than any input a target accepts, so that bounds are exercised. */
#define REPLAY_MAX_INPUT (4 * 1024 * 1024)

static size_t replayed;

static int
replay_file(const char *path)
{
	uint8_t *buf;
	size_t n;
	FILE *fp;

	if ((fp = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return 1;
	}
	if ((buf = malloc(REPLAY_MAX_INPUT)) == NULL) {
		fclose(fp);
		return 1;
	}
	n = fread(buf, 1, REPLAY_MAX_INPUT, fp);
	fclose(fp);
	LLVMFuzzerTestOneInput(buf, n);
	free(buf);
	replayed++;
	return 0;
}

static int
replay_path(const char *path, int depth)
{
	struct dirent *de;
	struct stat st;
	int rc = 0;
	DIR *d;

	if (stat(path, &st) != 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (!S_ISDIR(st.st_mode))
		return S_ISREG(st.st_mode) ? replay_file(path) : 0;
	if (depth > 16)
		return 0;
	if ((d = opendir(path)) == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return 1;
	}
	while ((de = readdir(d)) != NULL) {
		char *child;

		if (de->d_name[0] == '.')
			continue;
		if ((child = malloc(strlen(path) + strlen(de->d_name) + 2)) ==
		    NULL) {
			rc = 1;
			break;
		}
		sprintf(child, "%s/%s", path, de->d_name);
		rc |= replay_path(child, depth + 1);
		free(child);
	}
	closedir(d);
	return rc;
}

int
main(int argc, char **argv)
{
	int i, rc = 0;

	for (i = 1; i < argc; i++)
		rc |= replay_path(argv[i], 0);
	printf("replayed %zu input%s\n", replayed, replayed == 1 ? "" : "s");
	if (rc != 0)
		return 1;
	if (replayed == 0) {
		fprintf(stderr, "replay: no input found\n");
		return 1;
	}
	return 0;
}
