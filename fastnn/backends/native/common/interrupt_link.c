/* The interrupt flag for the native modules other than _interrupt: their
 * fastnn_interrupt_watch calls the _interrupt module's (common/interrupt.c)
 * through the pointer that the module's .pyx hands over when it is imported,
 *     from ..common cimport _interrupt
 *     _interrupt.fastnn_interrupt_link(_interrupt.watch)
 * so every family polls the one flag that the one handler sets. See
 * interrupt.h.
 */
#include <stddef.h>

#include "common/interrupt.h"

/* Before the link (C code run while the module is still importing): a flag
 * that is never set. */
static fastnn_flag_t unlinked_flag;
static fastnn_flag_t *unlinked(void) { return &unlinked_flag; }
static fastnn_watch_fn linked = unlinked;

fastnn_flag_t *fastnn_interrupt_watch(void) { return linked(); }

void fastnn_interrupt_link(fastnn_watch_fn watch) { linked = watch != NULL ? watch : unlinked; }
