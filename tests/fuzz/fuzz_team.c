/*
 * fuzz_team.c - libFuzzer target: what a learner's repository or a team's
 * content folder hands klab: progress.json (kl_team_parse) and a track's YAML
 * (kl_track_parse), on any bytes.
 */
#include <stddef.h>
#include <stdint.h>

#include "core/team.h"
#include "core/track.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *ids[] = { "modules-01", "signals-01" };
	int max[] = { 16, 20 };
	struct kl_team_catalog cat = { ids, max, 2 };
	struct kl_team_learner l = { 0 };
	struct kl_track t;
	struct kl_err err;

	kl_team_parse((const char *)data, size, &cat, 4, &l);
	kl_team_learner_release(&l);
	if (kl_track_parse((const char *)data, size, "fuzz.yaml", &t, &err) == 0)
		kl_track_release(&t);
	return 0;
}
