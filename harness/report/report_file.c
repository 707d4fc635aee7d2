/*
 * report_file.c -- what `danelab run` and `danelab report` share to put
 * reports where the user asked: the --format list, which --output goes
 * with which format, and writing a file atomically (report.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/report/report.h"
#include "simulator/util/textwrap.h"
#include "simulator/util/xmem.h"

int
report_formats_parse(const char *arg, enum report_format *formats,
    size_t *n, size_t max, char *bad, size_t badlen)
{
	char *copy = xstrdup(arg), *tok, *save = NULL;
	int f, rc = 0;

	for (tok = strtok_r(copy, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if ((f = report_format_parse(tok)) < 0 || *n == max) {
			snprintf(bad, badlen, "%s", tok);
			rc = DL_EINVAL;
			break;
		}
		formats[(*n)++] = (enum report_format)f;
	}
	free(copy);
	return rc;
}

int
report_outputs_map(size_t n_formats, char *const *outputs, size_t n_outputs,
    const char **paths)
{
	size_t i;

	if (n_outputs > n_formats ||
	    (n_formats > 1 && n_outputs + 1 < n_formats))
		return DL_EINVAL;
	for (i = 0; i < n_formats; i++) {
		if (n_outputs == n_formats)
			paths[i] = outputs[i];
		else	/* one fewer: the first goes to standard output */
			paths[i] = i == 0 ? NULL : outputs[i - 1];
		if (paths[i] != NULL && strcmp(paths[i], "-") == 0)
			paths[i] = NULL;
	}
	return 0;
}

/* Write in place: path exists and is not a regular file (a device). */
static int
write_in_place(report_write_fn fn, const void *arg, const char *path)
{
	FILE *fp = fopen(path, "w");
	int rc;

	if (fp == NULL)
		return DL_EIO;
	rc = fn(arg, fp);
	if (fclose(fp) != 0 && rc == 0)
		rc = DL_EIO;
	return rc;
}

int
report_write_file(report_write_fn fn, const void *arg, const char *what,
    const char *path, struct dl_diags *diags)
{
	struct stat st;
	char *tmp;
	FILE *fp;
	int fd, rc, saved = 0;

	if (path == NULL) {
		rc = fn(arg, stdout);
		if (fflush(stdout) != 0 && rc == 0)
			rc = DL_EIO;
		if (rc != 0)
			dl_error(diags, "<stdout>", 0, 0, "cannot write the %s: "
			    "%s", what, strerror(errno));
		return rc;
	}
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		if ((rc = write_in_place(fn, arg, path)) != 0)
			dl_error(diags, path, 0, 0, "cannot write: %s",
			    strerror(errno));
		return rc;
	}
	tmp = xasprintf("%s.tmpXXXXXX", path);
	fd = mkstemp(tmp);
	if (fd < 0) {
		rc = dl_error(diags, path, 0, 0, "cannot create a temporary "
		    "file beside it: %s", strerror(errno));
		free(tmp);
		return rc;
	}
	(void)fchmod(fd, 0644);
	fp = fdopen(fd, "w");
	if (fp == NULL) {
		saved = errno;
		close(fd);
		rc = DL_EIO;
	} else {
		rc = fn(arg, fp);
		if (fclose(fp) != 0 && rc == 0) {
			saved = errno;
			rc = DL_EIO;
		}
		if (rc == 0 && rename(tmp, path) != 0) {
			saved = errno;
			rc = DL_EIO;
		}
	}
	if (rc != 0) {
		unlink(tmp);
		dl_error(diags, path, 0, 0, "cannot write: %s",
		    saved ? strerror(saved) : dl_strerror(rc));
		rc = DL_EIO;
	}
	free(tmp);
	return rc;
}

/* What report_write_path hands report_write_file. */
struct report_job {
	const struct run_report *r;
	enum report_format f;
	struct report_opts o;
};

static int
write_report_job(const void *arg, FILE *fp)
{
	const struct report_job *j = arg;

	return report_write(j->r, j->f, &j->o, fp);
}

int
report_write_path(const struct run_report *r, enum report_format f,
    const struct report_opts *o, const char *path, struct dl_diags *diags)
{
	struct report_job j;
	char what[32];

	j.r = r;
	j.f = f;
	j.o = *o;
	if (path != NULL)
		j.o.color = false;	/* never escape codes in a file */
	else if (j.o.width == 0)
		j.o.width = (unsigned)tw_columns(STDOUT_FILENO);
	snprintf(what, sizeof(what), "%s report", report_format_name(f));
	return report_write_file(write_report_job, &j, what, path, diags);
}
