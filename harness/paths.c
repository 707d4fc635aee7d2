/*
 * paths.c -- where danelab finds its data (paths.h).
 */
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "danelab_config.h"
#include "harness/paths.h"

/* Whether path is root or below it (both absolute, no trailing '/'). */
static bool
below(const char *path, const char *root)
{
	size_t n = strlen(root);

	return strncmp(path, root, n) == 0 &&
	    (path[n] == '/' || path[n] == '\0');
}

static bool
is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Where installed_root() found the data, for danelab_data_origin(). */
static const char *root_origin = "the source tree of this build";

/*
 * The data directory of an installed danelab: <exe>/../share/danelab,
 * else DANELAB_DATA_DIR; NULL when run from the build tree.
 */
static const char *
installed_root(void)
{
	static char root[PATH_MAX];
	static int done;
	char exe[PATH_MAX], *slash;
	ssize_t n;

	if (done)
		return root[0] != '\0' ? root : NULL;
	done = 1;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	if (below(exe, DANELAB_BUILD_ROOT))
		return NULL;
	/* <prefix>/bin/danelab -> <prefix>/share/danelab */
	if ((slash = strrchr(exe, '/')) != NULL) {
		*slash = '\0';
		if ((slash = strrchr(exe, '/')) != NULL) {
			*slash = '\0';
			if (snprintf(root, sizeof(root), "%s/share/danelab",
			    exe) < (int)sizeof(root) && is_dir(root)) {
				root_origin = "the installed data directory, "
				    "next to the executable";
				return root;
			}
		}
	}
	snprintf(root, sizeof(root), "%s", DANELAB_DATA_DIR);
	root_origin = "the installed data directory, as configured: "
	    "there is no share/danelab next to the executable";
	return root;
}

const char *
danelab_data_dir(enum danelab_data which)
{
	static char dirs[3][PATH_MAX + sizeof("/scenarios")];
	static const char *const names[] = { "scenarios", "fixtures",
	    "clients" };
	static const char *const tree[] = { DANELAB_SCENARIOS_DIR,
	    DANELAB_FIXTURES_DIR, DANELAB_CLIENTS_DIR };
	const char *root = installed_root();

	if (root == NULL)
		return tree[which];
	if (dirs[which][0] == '\0')
		snprintf(dirs[which], sizeof(dirs[which]), "%s/%s", root,
		    names[which]);
	return dirs[which];
}

const char *
danelab_data_origin(void)
{
	(void)installed_root();
	return root_origin;
}

const char *
danelab_data_name(enum danelab_data which)
{
	static const char *const what[] = { "catalogue", "fixtures",
	    "client profile" };

	return what[which];
}
