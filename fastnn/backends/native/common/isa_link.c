/* The ISA level for the native modules other than _isa: they read the _isa
 * module's decision (common/isa.c) through the pointer that the module's .pyx
 * hands over when it is imported,
 *     from ..common cimport _isa
 *     _isa.fastnn_isa_link(_isa.level_address())
 * (Cython fetches level_address from _isa's __pyx_capi__), so every family
 * follows one decision. See isa.h.
 */
#include "common/isa.h"

/* Before the link (only C code run while the module is still importing): the
 * generic build, which runs everywhere. */
static const int unlinked = FASTNN_ISA_GENERIC;
const volatile int *fastnn_isa_level = &unlinked;

void fastnn_isa_link(const volatile int *level) { fastnn_isa_level = level; }
