/* SPDX-License-Identifier: MIT */
/*
 * The scriptable powerpc platform: one partition endpoint with its DMA windows, answering
 * hypervisor and RTAS calls the way QEMU and KVM validate them (sources.md S25), logging every
 * call, keeping TCE values when asked, and failing whichever calls a test names. One mutex
 * guards everything: this is a test tool, so simplicity wins over speed.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "base/memory.h"
#include "firmware/ppc_firmware.h"
#include "firmware/ppc_script.h"

static const struct isim_ppc_fw_ops script_ops;

struct isim_ppc_script *isim_ppc_script_of(struct isim_ppc_fw *fw)
{
	if (!fw || isim_ppc_fw_get_ops(fw) != &script_ops)
		return NULL;
	return isim_ppc_fw_get_arg(fw);
}

/* Double @*arr (of @*cap elements of @size) to make room; false when memory ran out. */
static bool grow(struct iommusim_mem *mem, void **arr, size_t *cap, size_t len, size_t size)
{
	size_t ncap = *cap ? *cap * 2 : 16;
	void *n = isim_alloc(mem, ncap * size, 0);

	if (!n)
		return false;
	if (len)
		memcpy(n, *arr, len * size);
	isim_free(mem, *arr, *cap * size, 0);
	*arr = n;
	*cap = ncap;
	return true;
}

static void log_call(struct isim_ppc_script *s, struct iommusim_cpu *cpu,
		     struct isim_ppc_call_rec r)
{
	r.cpu_id = cpu ? iommusim_cpu_id(cpu) : 0;
	if (s->cfg.no_log)
		return;
	/* a log that cannot grow drops the record; the interface still counts the call */
	if (s->log_len == s->log_cap &&
	    !grow(s->mem, (void **)&s->log, &s->log_cap, s->log_len, sizeof(*s->log)))
		return;
	s->log[s->log_len++] = r;
}

/* The scripted answer for the next call of @kind, or 0 to carry on; counts the call. */
static long scripted(struct isim_ppc_script *s, enum isim_ppc_call kind)
{
	uint64_t n = s->ncalls[kind]++;

	for (size_t i = 0; i < s->nrules; i++) {
		const struct isim_script_rule *r = &s->rules[i];

		if (r->kind == kind && n >= r->first && (!r->count || n - r->first < r->count))
			return r->rc;
	}
	return 0;
}

struct isim_script_window *isim_script_find(struct isim_ppc_script *s, uint32_t liobn)
{
	for (unsigned int i = 0; i < ISIM_SCRIPT_MAX_WINDOWS; i++)
		if (s->win[i].used && s->win[i].liobn == liobn)
			return &s->win[i];
	return NULL;
}

/*
 * KVM's kvmppc_ioba_validate(): the page of @ioba and @n pages after it lie in the window.
 * Sets *@entry to the first one's absolute number.
 */
static bool in_window(const struct isim_script_window *w, uint64_t ioba, uint64_t n,
		      uint64_t *entry)
{
	uint64_t idx = ioba >> w->shift, first = w->offset >> w->shift;

	if (idx < first || idx - first > w->entries || n > w->entries - (idx - first))
		return false;
	*entry = idx;
	return true;
}

/* Write @n TCEs from @entry: the list @tces, or @value for all when @tces is NULL. */
static long write_tces(struct isim_ppc_script *s, uint32_t liobn, uint64_t entry,
		       const uint64_t *tces, uint64_t value, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		if (!isim_script_track(s, liobn, entry + i, tces ? tces[i] : value)) {
			s->track_failures++;
			return ISIM_H_NOT_ENOUGH_RESOURCES;
		}
	}
	return ISIM_H_SUCCESS;
}

/* The common path of the four TCE hypervisor calls. */
static long tce_call(void *arg, struct iommusim_cpu *cpu, enum isim_ppc_call kind, uint32_t liobn,
		     uint64_t ioba, const uint64_t *tces, uint64_t value, uint64_t n, uint64_t *out)
{
	struct isim_ppc_script *s = arg;
	struct isim_script_window *w;
	uint64_t entry;
	long rc;

	pthread_mutex_lock(&s->lock);
	rc = scripted(s, kind);
	if (!rc) {
		w = isim_script_find(s, liobn);
		if (!w || (kind == ISIM_PPC_H_PUT_TCE_INDIRECT && n > ISIM_PPC_TCES_PER_CALL) ||
		    !in_window(w, ioba, n, &entry))
			rc = ISIM_H_PARAMETER;
		else if (kind == ISIM_PPC_H_GET_TCE)
			*out = s->nslots ? isim_script_lookup(s, liobn, entry)->value : 0;
		else
			rc = write_tces(s, liobn, entry, tces, value, n);
	}
	log_call(
		s, cpu,
		(struct isim_ppc_call_rec){.kind = kind,
					   .target = liobn,
					   .ioba = ioba,
					   .count = n,
					   .value = tces ? (n ? tces[0] : 0) : (out ? *out : value),
					   .rc = rc});
	pthread_mutex_unlock(&s->lock);
	return rc;
}

static long s_put(void *arg, struct iommusim_cpu *cpu, uint32_t liobn, uint64_t ioba, uint64_t tce)
{
	return tce_call(arg, cpu, ISIM_PPC_H_PUT_TCE, liobn, ioba, NULL, tce, 1, NULL);
}

static long s_put_indirect(void *arg, struct iommusim_cpu *cpu, uint32_t liobn, uint64_t ioba,
			   const uint64_t *tces, uint64_t n)
{
	return tce_call(arg, cpu, ISIM_PPC_H_PUT_TCE_INDIRECT, liobn, ioba, tces, 0, n, NULL);
}

static long s_stuff(void *arg, struct iommusim_cpu *cpu, uint32_t liobn, uint64_t ioba,
		    uint64_t value, uint64_t n)
{
	return tce_call(arg, cpu, ISIM_PPC_H_STUFF_TCE, liobn, ioba, NULL, value, n, NULL);
}

static long s_get(void *arg, struct iommusim_cpu *cpu, uint32_t liobn, uint64_t ioba, uint64_t *tce)
{
	return tce_call(arg, cpu, ISIM_PPC_H_GET_TCE, liobn, ioba, NULL, 0, 1, tce);
}

static long s_kill(void *arg, struct iommusim_cpu *cpu, uint32_t pe, unsigned int page_shift,
		   uint64_t ioba, uint64_t npages)
{
	struct isim_ppc_script *s = arg;
	long rc;

	pthread_mutex_lock(&s->lock);
	rc = scripted(s, ISIM_PPC_OPAL_TCE_KILL);
	log_call(s, cpu,
		 (struct isim_ppc_call_rec){.kind = ISIM_PPC_OPAL_TCE_KILL,
					    .target = pe,
					    .ioba = ioba,
					    .count = npages,
					    .value = page_shift,
					    .rc = rc});
	pthread_mutex_unlock(&s->lock);
	return rc;
}

static unsigned int windows_present(const struct isim_ppc_script *s)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < ISIM_SCRIPT_MAX_WINDOWS; i++)
		n += s->win[i].used;
	return n;
}

static int s_query(void *arg, struct iommusim_cpu *cpu, uint32_t cfg_addr, unsigned int words,
		   struct isim_ddw_query *out)
{
	struct isim_ppc_script *s = arg;
	unsigned int present;
	int rc;

	pthread_mutex_lock(&s->lock);
	rc = (int)scripted(s, ISIM_PPC_RTAS_QUERY);
	present = windows_present(s);
	if (!rc)
		*out = (struct isim_ddw_query){
			.windows_available =
				s->cfg.max_windows > present ? s->cfg.max_windows - present : 0,
			.largest_block = s->cfg.largest_block,
			.page_sizes = s->cfg.page_sizes,
		};
	log_call(s, cpu,
		 (struct isim_ppc_call_rec){.kind = ISIM_PPC_RTAS_QUERY,
					    .target = cfg_addr,
					    .count = words,
					    .value = out->windows_available,
					    .rc = rc});
	pthread_mutex_unlock(&s->lock);
	return rc;
}

/* The page size bit of a shift, or 0 for a size the query word cannot name. */
static uint32_t pgsize_bit(unsigned int shift)
{
	static const unsigned int shifts[] = {12, 16, 24, 25, 26, 27, 28, 34, 21};

	for (unsigned int i = 0; i < sizeof(shifts) / sizeof(shifts[0]); i++)
		if (shifts[i] == shift)
			return 1u << i;
	return 0;
}

static int create(struct isim_ppc_script *s, unsigned int ps, unsigned int ws,
		  struct isim_ddw_window *out)
{
	unsigned int slot, present = windows_present(s);

	if (!(pgsize_bit(ps) & s->cfg.page_sizes) || ws < ps || ws > 63)
		return ISIM_RTAS_PARAM_ERROR;
	if (present >= s->cfg.max_windows || (ws - ps) >= 63 ||
	    (UINT64_C(1) << (ws - ps)) > s->cfg.largest_block)
		return ISIM_RTAS_HW_ERROR;
	for (slot = 1; slot < ISIM_SCRIPT_MAX_WINDOWS && s->win[slot].used; slot++)
		;
	if (slot == ISIM_SCRIPT_MAX_WINDOWS)
		return ISIM_RTAS_HW_ERROR;
	s->win[slot] = (struct isim_script_window){.used = true,
						   .liobn = ISIM_SCRIPT_DDW_LIOBN + slot,
						   .entries = UINT64_C(1) << (ws - ps),
						   .shift = ps};
	/* QEMU: the first window of a PE at 0, later ones at the 64-bit address */
	if (present)
		s->win[slot].offset =
			s->limited && s->cfg.limited_addr ? s->cfg.limited_addr : s->cfg.ddw_addr;
	*out = (struct isim_ddw_window){.liobn = s->win[slot].liobn, .addr = s->win[slot].offset};
	return ISIM_RTAS_SUCCESS;
}

static int s_create(void *arg, struct iommusim_cpu *cpu, uint32_t cfg_addr, unsigned int ps,
		    unsigned int ws, struct isim_ddw_window *out)
{
	struct isim_ppc_script *s = arg;
	int rc;

	pthread_mutex_lock(&s->lock);
	rc = (int)scripted(s, ISIM_PPC_RTAS_CREATE);
	if (!rc)
		rc = create(s, ps, ws, out);
	log_call(s, cpu,
		 (struct isim_ppc_call_rec){.kind = ISIM_PPC_RTAS_CREATE,
					    .target = cfg_addr,
					    .ioba = ps,
					    .count = ws,
					    .value = out->addr,
					    .rc = rc});
	pthread_mutex_unlock(&s->lock);
	return rc;
}

static int s_remove(void *arg, struct iommusim_cpu *cpu, uint32_t liobn)
{
	struct isim_ppc_script *s = arg;
	struct isim_script_window *w;
	int rc;

	pthread_mutex_lock(&s->lock);
	rc = (int)scripted(s, ISIM_PPC_RTAS_REMOVE);
	if (!rc) {
		w = isim_script_find(s, liobn);
		if (w)
			isim_script_forget(s, w);
		else
			rc = ISIM_RTAS_PARAM_ERROR;
	}
	log_call(s, cpu,
		 (struct isim_ppc_call_rec){
			 .kind = ISIM_PPC_RTAS_REMOVE, .target = liobn, .rc = rc});
	pthread_mutex_unlock(&s->lock);
	return rc;
}

/* The default window as the PE has it after boot or a reset, with no TCE set. */
static void default_window(struct isim_ppc_script *s)
{
	if (!s->cfg.default_liobn)
		return;
	s->win[0] =
		(struct isim_script_window){.used = true,
					    .liobn = s->cfg.default_liobn,
					    .offset = s->cfg.default_offset,
					    .entries = s->cfg.default_size >> s->cfg.default_shift,
					    .shift = s->cfg.default_shift};
}

static int s_reset(void *arg, struct iommusim_cpu *cpu, uint32_t cfg_addr, bool limited)
{
	struct isim_ppc_script *s = arg;
	int rc;

	pthread_mutex_lock(&s->lock);
	rc = (int)scripted(s, ISIM_PPC_RTAS_RESET);
	if (!rc) {
		/* every window goes, the default one comes back empty */
		for (unsigned int i = 0; i < ISIM_SCRIPT_MAX_WINDOWS; i++)
			if (s->win[i].used)
				isim_script_forget(s, &s->win[i]);
		default_window(s);
		s->limited = limited;
	}
	log_call(s, cpu,
		 (struct isim_ppc_call_rec){.kind = ISIM_PPC_RTAS_RESET,
					    .target = cfg_addr,
					    .count = limited,
					    .rc = rc});
	pthread_mutex_unlock(&s->lock);
	return rc;
}

static void s_release(void *arg)
{
	struct isim_ppc_script *s = arg;

	isim_free(s->mem, s->rules, s->rules_cap * sizeof(*s->rules), 0);
	isim_free(s->mem, s->log, s->log_cap * sizeof(*s->log), 0);
	isim_free(s->mem, s->slots, s->nslots * sizeof(*s->slots), 0);
	pthread_mutex_destroy(&s->lock);
	isim_free(s->mem, s, sizeof(*s), 0);
}

static const struct isim_ppc_fw_ops script_ops = {
	.put_tce = s_put,
	.put_tce_indirect = s_put_indirect,
	.stuff_tce = s_stuff,
	.get_tce = s_get,
	.tce_kill = s_kill,
	.ddw_query = s_query,
	.ddw_create = s_create,
	.ddw_remove = s_remove,
	.ddw_reset = s_reset,
	.release = s_release,
};

int isim_ppc_fw_create_script(struct iommusim_mem *mem, const struct isim_ppc_script_config *cfg,
			      struct isim_ppc_fw **out)
{
	struct isim_ppc_script *s;
	int err;

	if (!mem || !cfg || !out || cfg->max_windows > ISIM_SCRIPT_MAX_WINDOWS)
		return -EINVAL;
	if (cfg->default_liobn && (cfg->default_shift < 12 || cfg->default_shift > 34 ||
				   cfg->default_liobn >= ISIM_SCRIPT_DDW_LIOBN))
		return -EINVAL;
	s = isim_zalloc(mem, sizeof(*s), 0);
	if (!s)
		return -ENOMEM;
	s->mem = mem;
	s->cfg = *cfg;
	if (pthread_mutex_init(&s->lock, NULL)) {
		isim_free(mem, s, sizeof(*s), 0);
		return -ENOMEM;
	}
	default_window(s);
	err = isim_ppc_fw_create(mem, &script_ops, s, out);
	if (err)
		s_release(s);
	return err;
}

int isim_ppc_script_fail(struct isim_ppc_fw *fw, enum isim_ppc_call kind, uint64_t first,
			 uint64_t count, long rc)
{
	struct isim_ppc_script *s = isim_ppc_script_of(fw);
	int err = 0;

	if (!s || (unsigned int)kind >= ISIM_PPC_CALL_NR || rc == 0)
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	if (s->nrules == s->rules_cap &&
	    !grow(s->mem, (void **)&s->rules, &s->rules_cap, s->nrules, sizeof(*s->rules)))
		err = -ENOMEM;
	else
		s->rules[s->nrules++] = (struct isim_script_rule){
			.kind = kind, .first = first, .count = count, .rc = rc};
	pthread_mutex_unlock(&s->lock);
	return err;
}
