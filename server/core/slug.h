/*
 * slug.h - heading anchors: the one function that turns a heading's text into
 * its id, shared by the note renderer (web) and `klab check` (links with #anchor).
 */
#ifndef KLAB_SLUG_H
#define KLAB_SLUG_H

/*
 * GitHub-style slug: lowercase ASCII letters and digits kept, spaces become '-',
 * '-' and '_' kept, everything else dropped ("The task_struct!" -> "the-task_struct").
 * Caller frees.
 */
char *kl_slug(const char *text);

#endif
