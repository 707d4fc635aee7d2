/*
 * scen_doc.c -- the format reference, generated from the schema tables.
 *
 * Owns: rendering scen_schemas[] as Markdown, one table per mapping.
 * The generated text is the middle part of scenarios/README.md; a unit
 * test fails when the two differ, so the reference cannot go stale.
 */
#include "simulator/scenario/scen_internal.h"

#include <string.h>

/* Print s as a table cell: '|' escaped, newlines as spaces. */
static void
cell(FILE *fp, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '|')
			fputs("\\|", fp);
		else if (*s == '\n')
			fputc(' ', fp);
		else
			fputc(*s, fp);
	}
}

static void
type_desc(FILE *fp, const struct scen_key *k)
{
	size_t i;

	switch (k->type) {
	case SCEN_K_UINT:
		fprintf(fp, "integer %lld..%lld", (long long)k->min,
		    (long long)k->max);
		if (k->en != NULL) {
			fputs(" or ", fp);
			for (i = 0; i < k->en->n; i++)
				fprintf(fp, "%s`%s`", i ? ", " : "",
				    k->en->v[i].name);
		}
		break;
	case SCEN_K_BOOL:
		fputs("boolean", fp);
		break;
	case SCEN_K_STR:
		fputs("string", fp);
		break;
	case SCEN_K_TEXT:
		fputs("text", fp);
		break;
	case SCEN_K_NAME:
		fputs("domain name", fp);
		break;
	case SCEN_K_ENUM:
		for (i = 0; i < k->en->n; i++)
			fprintf(fp, "%s`%s`", i ? ", " : "", k->en->v[i].name);
		break;
	case SCEN_K_FIXTURE:
		fputs("fixture id", fp);
		break;
	case SCEN_K_LIST:
		fputs("list of ", fp);
		if (k->item->type == SCEN_K_MAP)
			fprintf(fp, "`%s` mappings", k->item->sub->path);
		else
			type_desc(fp, k->item);
		if (k->min > 0)
			fprintf(fp, ", %lld..%lld items", (long long)k->min,
			    (long long)k->max);
		else
			fprintf(fp, ", at most %lld", (long long)k->max);
		break;
	case SCEN_K_MAP:
		fprintf(fp, "mapping `%s`", k->sub->path);
		break;
	case SCEN_K_CUSTOM:
		cell(fp, k->type_doc ? k->type_doc : "");
		break;
	}
}

void
scenario_schema_markdown(FILE *fp)
{
	size_t i, j;

	for (i = 0; scen_schemas[i] != NULL; i++) {
		const struct scen_schema *sc = scen_schemas[i];

		fprintf(fp, "### `%s`\n\n%s\n\n", sc->path, sc->doc);
		fputs("| key | type | default | meaning | example |\n", fp);
		fputs("|---|---|---|---|---|\n", fp);
		for (j = 0; j < sc->n_keys; j++) {
			const struct scen_key *k = &sc->keys[j];

			fprintf(fp, "| `%s` | ", k->name);
			type_desc(fp, k);
			fputs(" | ", fp);
			if (k->flags & SCEN_F_REQUIRED)
				fputs("**required**", fp);
			else if (k->def != NULL && (k->flags & SCEN_F_DEFDOC))
				cell(fp, k->def);
			else if (k->def != NULL)
				fprintf(fp, "`%s`", k->def);
			else
				fputs("none", fp);
			fputs(" | ", fp);
			cell(fp, k->doc ? k->doc : "");
			fputs(" | ", fp);
			if (k->example != NULL) {
				fputs("`", fp);
				cell(fp, k->example);
				fputs("`", fp);
			}
			fputs(" |\n", fp);
		}
		fputs("\n", fp);
	}
}
