/*
 * paths.h -- where danelab finds its data: the catalogue, the fixtures
 * and the shipped client profiles.
 *
 * Run from its build directory, danelab reads them from the source tree
 * (DANELAB_SOURCE_ROOT).  Installed (meson install), from the data
 * directory next to the executable, <prefix>/share/danelab, found from
 * /proc/self/exe so that an installation moved as a whole (DESTDIR, a
 * package) still works; the configured datadir if that is not there.
 */
#ifndef DL_HARNESS_PATHS_H
#define DL_HARNESS_PATHS_H

enum danelab_data {
	DANELAB_DATA_SCENARIOS,
	DANELAB_DATA_FIXTURES,
	DANELAB_DATA_CLIENTS,
};

/* The directory, as a static string (computed once). */
const char *danelab_data_dir(enum danelab_data which);

/*
 * Where danelab_data_dir() takes its directories from, for messages that
 * say why a path was used: "the source tree of this build" or "the
 * installed data directory, ..." (a static string).
 */
const char *danelab_data_origin(void);

/*
 * What the directory holds, for messages: "catalogue", "fixtures",
 * "client profile" (a static string).
 */
const char *danelab_data_name(enum danelab_data which);

#endif /* DL_HARNESS_PATHS_H */
