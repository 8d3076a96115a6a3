/*
 * leaks.h - the guest side of klab's leak check, on a kernel with kmemleak
 * (the debug profile); on any other kernel every call does nothing.
 *
 *	leaks_start()            before the first lab module is loaded
 *	leaks_module_loaded(n)   after lab module n loaded: its text sections' addresses
 *	                         (the debug kernel prints them itself while loading:
 *	                         kernels/patches/module-print-text-sections.patch)
 *	leaks_scan()             after the lab modules are unloaded: kmemleak's findings
 *
 * Everything goes to the kernel console through /dev/kmsg, where klab looks
 * for faults (never to the results channel):
 *
 *	klab: section hello .init.text 0xffffffffa0008000
 *	klab: kmemleak: scan
 *	klab: kmemleak: unreferenced object 0xffff888004c2c000 (size 16384):
 *	klab: kmemleak:   comm "init", pid 29, jiffies 4294672345
 *	klab: kmemleak:   backtrace:
 *	klab: kmemleak:     [<00000000a7f2e1c3>] kmalloc_trace+0x26/0x53
 *	klab: kmemleak:     [<00000000d2b9c8a1>] 0xffffffffa0008031
 *	klab: kmemleak: end 1 (412 ms)
 *
 * The module's frames are raw addresses once it is gone; the host maps them back
 * through the sections. Only objects allocated after leaks_start() are printed.
 */
#ifndef KLAB_GUEST_LEAKS_H
#define KLAB_GUEST_LEAKS_H

void leaks_start(void);
void leaks_module_loaded(const char *name);
void leaks_scan(void);

#endif
