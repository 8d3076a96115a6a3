/*
 * fault_decode.c - from a fault's frames to the learner's source lines, with
 * libdw: symbol+offset (or a raw address, through the sections the guest
 * recorded for each lab module) to the chain of inlined functions at that
 * address, and the innermost position of that chain in a learner's file (see
 * fault.h). "in strlen (fortify-string.h:196), inlined into hello_init at
 * hello.c:14": the header stays as context, the learner's line is the place.
 */
#include "lab/fault.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>

#include "core/fsutil.h"

/* One opened module: its DWARF through libdwfl. */
struct S_obj {
	Dwfl *dwfl;
	Dwfl_Module *mod;
};

static int S_obj_open(const char *ko, struct S_obj *o, struct kl_err *err)
{
	static const Dwfl_Callbacks cb = {
		.find_debuginfo = dwfl_standard_find_debuginfo,
		.section_address = dwfl_offline_section_address,
	};

	o->mod = NULL;
	o->dwfl = dwfl_begin(&cb);
	if (!o->dwfl)
		return kl_err_set(err, "libdw: %s", dwfl_errmsg(-1));
	o->mod = dwfl_report_offline(o->dwfl, "", ko, -1);
	if (!o->mod || dwfl_report_end(o->dwfl, NULL, NULL) != 0) {
		kl_err_set(err, "cannot read %s: %s", ko, dwfl_errmsg(-1));
		dwfl_end(o->dwfl);
		o->dwfl = NULL;
		o->mod = NULL;
		return -1;
	}
	return 0;
}

static void S_obj_close(struct S_obj *o)
{
	if (o->dwfl)
		dwfl_end(o->dwfl);
	o->dwfl = NULL;
	o->mod = NULL;
}

/* The address of function func in the module, or 0 when it has none. */
static GElf_Addr S_func_addr(Dwfl_Module *mod, const char *func)
{
	int nsyms = dwfl_module_getsymtab(mod);

	for (int i = 0; i < nsyms; i++) {
		GElf_Sym sym;
		GElf_Addr addr;
		const char *name = dwfl_module_getsym_info(mod, i, &sym, &addr, NULL, NULL, NULL);
		if (name && strcmp(name, func) == 0 && GELF_ST_TYPE(sym.st_info) == STT_FUNC)
			return addr;
	}
	return 0;
}

/* A DIE's name, through DW_AT_abstract_origin for an inlined instance. */
static const char *S_die_name(Dwarf_Die *die)
{
	Dwarf_Attribute a;

	if (!dwarf_attr_integrate(die, DW_AT_name, &a))
		return NULL;
	return dwarf_formstring(&a);
}

static void S_push(struct lab_srcpos **pos, size_t *n, const char *file, int line)
{
	struct lab_srcpos *v = realloc(*pos, (*n + 1) * sizeof(*v));

	if (!v)
		abort();
	v[*n] = (struct lab_srcpos){ NULL, kl_strdup(file ? file : "??"), line };
	*pos = v;
	(*n)++;
}

/* The inline chain at a module address (see lab_fault_inline_chain). */
static int S_chain(Dwfl_Module *mod, GElf_Addr addr, struct lab_srcpos **pos, size_t *n)
{
	Dwarf_Addr bias = 0;
	Dwarf_Die *cu = dwfl_module_addrdie(mod, addr, &bias);
	Dwfl_Line *dl = dwfl_module_getsrc(mod, addr);
	int lineno = 0;
	const char *src = dl ? dwfl_lineinfo(dl, NULL, &lineno, NULL, NULL, NULL) : NULL;

	*pos = NULL;
	*n = 0;
	if (!src)
		return -1;
	S_push(pos, n, src, lineno);
	if (!cu)
		return 0;
	/*
	 * dwarf_getscopes() follows an inlined instance into its abstract
	 * definition; the DIE's own parents (dwarf_getscopes_die) are the callers.
	 */
	Dwarf_Die *scopes = NULL;
	int ns = dwarf_getscopes(cu, addr - bias, &scopes);
	if (ns > 0) {
		Dwarf_Die inner = scopes[0];
		free(scopes);
		scopes = NULL;
		ns = dwarf_getscopes_die(&inner, &scopes);
	}
	Dwarf_Files *files = NULL;
	size_t nfiles = 0;
	if (dwarf_getsrcfiles(cu, &files, &nfiles) != 0)
		files = NULL;
	for (int i = 0; i < ns; i++) {
		int tag = dwarf_tag(&scopes[i]);
		if (tag != DW_TAG_inlined_subroutine && tag != DW_TAG_subprogram)
			continue;
		const char *name = S_die_name(&scopes[i]);
		free((*pos)[*n - 1].func);
		(*pos)[*n - 1].func = kl_strdup(name ? name : "??");
		if (tag == DW_TAG_subprogram)
			break;
		Dwarf_Attribute a;
		Dwarf_Word cfile = 0, cline = 0;
		if (dwarf_formudata(dwarf_attr(&scopes[i], DW_AT_call_file, &a), &cfile) != 0 ||
		    dwarf_formudata(dwarf_attr(&scopes[i], DW_AT_call_line, &a), &cline) != 0)
			break;
		const char *cf = files && cfile < nfiles ? dwarf_filesrc(files, cfile, NULL, NULL)
							 : NULL;
		S_push(pos, n, cf, (int)cline);
	}
	free(scopes);
	return 0;
}

void lab_srcpos_free(struct lab_srcpos *pos, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(pos[i].func);
		free(pos[i].file);
	}
	free(pos);
}

static int S_obj_chain(struct S_obj *o, const char *func, unsigned long off, int is_return,
		       struct lab_srcpos **pos, size_t *n, struct kl_err *err)
{
	GElf_Addr base = S_func_addr(o->mod, func);

	*pos = NULL;
	*n = 0;
	if (!base)
		return kl_err_set(err, "no function %s in the module", func);
	if (S_chain(o->mod, base + off - (is_return && off ? 1 : 0), pos, n) < 0)
		return kl_err_set(err, "no line information for %s+0x%lx", func, off);
	return 0;
}

int lab_fault_inline_chain(const char *ko, const char *func, unsigned long off, int is_return,
			   struct lab_srcpos **pos, size_t *n, struct kl_err *err)
{
	struct S_obj o;

	*pos = NULL;
	*n = 0;
	if (S_obj_open(ko, &o, err) < 0)
		return -1;
	int rc = S_obj_chain(&o, func, off, is_return, pos, n, err);
	if (rc < 0 && err && strncmp(err->msg, "no ", 3) == 0) {
		char *m = kl_sprintf("%s in %s", err->msg, ko);
		kl_err_set(err, "%s", m);
		free(m);
	}
	S_obj_close(&o);
	return rc;
}

int lab_fault_addr2line(const char *ko, const char *func, unsigned long off, int is_return,
			char **file, int *line, struct kl_err *err)
{
	struct lab_srcpos *pos;
	size_t n;

	*file = NULL;
	*line = 0;
	if (lab_fault_inline_chain(ko, func, off, is_return, &pos, &n, err) < 0)
		return -1;
	*file = kl_strdup(pos[0].file);
	*line = pos[0].line;
	lab_srcpos_free(pos, n);
	return 0;
}

/* Module name as the kernel prints it: '-' becomes '_'. */
static int S_same_module(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		char x = *a == '-' ? '_' : *a, y = *b == '-' ? '_' : *b;
		if (x != y)
			return 0;
	}
	return *a == *b;
}

/* The learner's path for a DWARF path in the build folder, or NULL. */
static const char *S_learner(const struct lab_fault_srcs *s, const char *file)
{
	const char *base = strrchr(file, '/');
	size_t dl = s->dir ? strlen(s->dir) : 0;

	if (s->dir && (strncmp(file, s->dir, dl) != 0 || file[dl] != '/' || base != file + dl))
		return NULL;
	base = base ? base + 1 : file;
	for (size_t i = 0; i < s->nfiles; i++)
		if (strcmp(s->names[i], base) == 0)
			return s->origins ? s->origins[i] : s->names[i];
	return NULL;
}

static const char *S_base(const char *path)
{
	const char *b = strrchr(path, '/');

	return b ? b + 1 : path;
}

/* Sets the frame's place from its inline chain: the innermost learner position. */
static void S_place(struct lab_frame *fr, const struct lab_srcpos *pos, size_t n,
		    const struct lab_fault_srcs *s)
{
	size_t at = n - 1;
	const char *mine = NULL;

	for (size_t i = 0; i < n; i++) {
		if ((mine = S_learner(s, pos[i].file))) {
			at = i;
			break;
		}
	}
	fr->file = kl_strdup(mine ? mine : pos[at].file);
	fr->line = pos[at].line;
	fr->function = kl_strdup(pos[at].func ? pos[at].func : fr->func);
	fr->learner = mine != NULL;
	if (at == 0)
		return;
	fr->inlined = kl_strdup(pos[0].func ? pos[0].func : "??");
	struct kl_buf ctx = KL_BUF_INIT;
	for (size_t i = 0; i < at; i++)
		kl_buf_printf(&ctx, "%s%s (%s:%d)", i ? " in " : "", pos[i].func ? pos[i].func : "??",
			      S_base(pos[i].file), pos[i].line);
	fr->context = kl_buf_detach(&ctx);
}

/* A raw address to func+off through the module sections the guest recorded. */
static int S_resolve_raw(const struct lab_fault *f, struct lab_frame *fr, struct S_obj *objs,
			 const struct lab_fault_srcs *s)
{
	for (size_t k = 0; k < f->nsections; k++) {
		const struct lab_section *sec = &f->sections[k];
		if (fr->addr < sec->addr)
			continue;
		for (size_t m = 0; m < s->nmods; m++) {
			if (!objs[m].mod || !S_same_module(sec->module, s->mods[m]))
				continue;
			unsigned long off = fr->addr - sec->addr;
			int nsyms = dwfl_module_getsymtab(objs[m].mod);
			for (int i = 0; i < nsyms; i++) {
				GElf_Sym sym;
				GElf_Addr a;
				GElf_Word shndx = 0;
				Elf *elf = NULL;
				const char *name = dwfl_module_getsym_info(objs[m].mod, i, &sym, &a,
									   &shndx, &elf, NULL);
				size_t shstr;
				if (!name || GELF_ST_TYPE(sym.st_info) != STT_FUNC || !elf ||
				    off < sym.st_value || off >= sym.st_value + sym.st_size ||
				    elf_getshdrstrndx(elf, &shstr) != 0)
					continue;
				GElf_Shdr sh;
				Elf_Scn *scn = elf_getscn(elf, shndx);
				const char *sn = scn && gelf_getshdr(scn, &sh)
							 ? elf_strptr(elf, shstr, sh.sh_name)
							 : NULL;
				if (!sn || strcmp(sn, sec->name) != 0)
					continue;
				fr->func = kl_strdup(name);
				fr->off = off - sym.st_value;
				fr->size = sym.st_size;
				fr->module = kl_strdup(s->mods[m]);
				return (int)m;
			}
		}
	}
	return -1;
}

static void S_decode_frame(const struct lab_fault *f, struct lab_frame *fr, struct S_obj *objs,
			   const struct lab_fault_srcs *s)
{
	int m = -1;

	if (!fr->func && fr->addr)
		m = S_resolve_raw(f, fr, objs, s);
	else if (fr->func && fr->module)
		for (size_t i = 0; i < s->nmods && m < 0; i++)
			if (objs[i].mod && S_same_module(fr->module, s->mods[i]))
				m = (int)i;
	if (m < 0)
		return;
	struct lab_srcpos *pos;
	size_t n;
	if (S_obj_chain(&objs[m], fr->func, fr->off, fr->is_return, &pos, &n, NULL) < 0)
		return;
	S_place(fr, pos, n, s);
	lab_srcpos_free(pos, n);
}

/* The frame of a stack to place a lockdep report by, from its title. */
static int S_lockdep_stack(const char *title)
{
	if (strstr(title, "circular locking") || strstr(title, "recursive locking") ||
	    strstr(title, "bad unlock balance"))
		return LAB_STACK_ACQUIRE;
	if (strstr(title, "lock held when returning to user space"))
		return LAB_STACK_HELD;
	return -1;
}

const struct lab_frame *lab_fault_place(const struct lab_fault *f)
{
	const struct lab_frame *fr = NULL;

	if (f->kind == LAB_FAULT_NONE)
		return NULL;
	if (f->kind == LAB_FAULT_LEAK)
		return lab_fault_first(f, LAB_STACK_ALLOC);
	int st = f->title ? S_lockdep_stack(f->title) : -1;
	if (st >= 0 && (fr = lab_fault_first(f, (enum lab_stack)st)))
		return fr;
	if (f->rip.file && f->rip.learner)
		return &f->rip;
	if ((fr = lab_fault_first(f, LAB_STACK_TRACE)))
		return fr;
	for (size_t i = 0; i < f->ntrace; i++)
		if (f->trace[i].file && f->trace[i].learner && f->trace[i].reliable)
			return &f->trace[i];
	if (f->rip.file)
		return &f->rip;
	for (size_t i = 0; i < f->ntrace; i++)
		if (f->trace[i].file && f->trace[i].reliable)
			return &f->trace[i];
	return NULL;
}

int lab_fault_decode(struct lab_fault *f, const struct lab_fault_srcs *s)
{
	if (f->kind == LAB_FAULT_NONE || !s->nmods)
		return 0;
	struct S_obj *objs = calloc(s->nmods, sizeof(*objs));
	if (!objs)
		abort();
	for (size_t i = 0; i < s->nmods; i++)
		if (S_obj_open(s->kos[i], &objs[i], NULL) < 0)
			objs[i].mod = NULL;
	S_decode_frame(f, &f->rip, objs, s);
	for (size_t i = 0; i < f->ntrace; i++)
		S_decode_frame(f, &f->trace[i], objs, s);
	for (size_t i = 0; i < s->nmods; i++)
		S_obj_close(&objs[i]);
	free(objs);

	const struct lab_frame *fr = lab_fault_place(f);
	if (!fr && f->kind == LAB_FAULT_LEAK) {
		/*
		 * Leaked objects none of which a lab module allocated: the kernel's
		 * own (kmemleak is not free of false positives), not a verdict.
		 */
		f->kind = LAB_FAULT_NONE;
		f->count -= f->leaks;
		return 0;
	}
	if (!fr)
		return 0;
	free(f->file);
	free(f->function);
	free(f->module);
	free(f->context);
	f->module = fr->module ? kl_strdup(fr->module) : NULL;
	f->file = kl_strdup(fr->file);
	f->line = fr->line;
	f->function = kl_strdup(fr->function);
	f->context = fr->context ? kl_strdup(fr->context) : NULL;
	return 1;
}
