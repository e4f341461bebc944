/*
 * The configuration loader: jconf_parse() (JSON with comments, with
 * positions) over the input as it is, then config_load() of the input
 * as a hookdir.conf next to a secrets/ directory with a secret file, and
 * provider_check_source() for each source it loads. An input is a
 * configuration file.
 */
#include "autoconf.h"

#include <sys/stat.h>

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "config.h"
#include "fuzz.h"
#include "jconf.h"
#include "log.h"
#include "provider.h"

static char	*conf;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char	*p;

	(void)argc;
	(void)argv;
	log_init("fuzz-config", 0);
	conf = fuzz_path("hookdir.conf");
	p = fuzz_path("secrets");
	if (mkdir(p, 0700) == -1)
		fatal("mkdir %s", p);
	free(p);
	p = fuzz_path("secrets/site");
	fuzz_write(p, "It's a Secret to Everybody\n", 27);
	free(p);
	setenv("HOOKDIR_FUZZ_SECRET", "from-the-environment", 1);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object	*o;
	struct config		*cf;
	struct diag		 d;
	char			*err = NULL;
	size_t			 i;

	o = jconf_parse((const char *)data, size, "fuzz.conf", &err);
	if ((o == NULL) != (err != NULL))
		abort();
	json_object_put(o);
	free(err);

	fuzz_write(conf, data, size);
	diag_init(&d);
	cf = config_load(conf, &d);
	if ((cf == NULL) != (d.nerrors > 0))
		abort();
	for (i = 0; cf != NULL && i < cf->nsources; i++) {
		if (config_source(cf, cf->sources[i].name) == NULL)
			abort();
		if (cf->sources[i].provider != NULL)
			provider_check_source(cf->sources[i].provider,
			    &cf->sources[i], conf, &d);
	}
	diag_release(&d);
	config_free(cf);
	return 0;
}
