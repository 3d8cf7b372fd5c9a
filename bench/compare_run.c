/* SPDX-License-Identifier: MIT */
/*
 * The simulations of iommusim-bench compare on a pool of threads. Simulations share nothing:
 * each worker has its own memory context and cost set, resolves the set afresh for every
 * task (profile, scenario, --set, then the task's draw or extreme), and its results go to the
 * plan's slot for the task. What the pool decides (which thread, in what order things end)
 * shows only in the progress on stderr, never in the report. Tasks start in index order, so
 * when one fails every earlier task has started and finishes: the failure reported is the
 * first in task order, whatever the timing.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <iommusim/iommusim.h>

#include "commands.h"
#include "compare.h"

/* Least wall time between two redraws of the progress line on a terminal. */
#define REDRAW_SECONDS 0.25

enum stage { STAGE_COSTS, STAGE_CREATE, STAGE_RUN };

struct failure {
	size_t index; /* SIZE_MAX: none */
	struct compare_task task;
	enum stage stage;
	int err;
	char msg[256];
};

struct pool {
	struct compare_plan *plan;
	pthread_mutex_t lock;
	size_t next;	/* next task to start */
	size_t done;	/* tasks finished */
	size_t total;	/* tasks that run: a cell whose platform lacks its policy does not */
	size_t running; /* tasks started, not finished */
	bool stop;	/* a task failed: start no more */
	struct failure failed;
	bool tty;
	double start, drawn; /* wall clock at the start and at the last redraw */
};

struct worker {
	struct pool *pool;
	pthread_t thread;
	struct iommusim_mem *mem;
	struct iommusim_cost *cost;
};

static double wall_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* "lpar strict", with the seed, draw or extreme when the run has several of each. */
static void task_label(const struct compare_opts *o, const struct compare_task *t, char *buf,
		       size_t len)
{
	int n;

	if (t->o)
		o = t->o;
	n = snprintf(buf, len, "%s%s%s %s", o->point ? o->point : "", o->point ? " " : "",
		     o->platforms[t->platform], iommusim_policy_name(t->policy));
	size_t used = n < 0 ? 0 : (size_t)n;

	if (used >= len)
		return;
	if (o->repeat > 1)
		used += (size_t)snprintf(buf + used, len - used, " seed %llu",
					 (unsigned long long)t->seed);
	if (used < len && t->vary == COMPARE_DRAW)
		used += (size_t)snprintf(buf + used, len - used, " draw %u", t->draw + 1);
	if (used < len && (t->vary == COMPARE_AT_MIN || t->vary == COMPARE_AT_MAX))
		snprintf(buf + used, len - used, " %s=%s", iommusim_cost_param(t->param)->name,
			 t->vary == COMPARE_AT_MIN ? "min" : "max");
}

/*
 * On a terminal: the one progress line, rewritten in place, with the time left estimated from
 * the cells finished so far (elapsed time per finished cell, times the cells left: the cells of
 * one run take alike, and the elapsed time already counts the jobs running side by side).
 * Called with the lock held.
 */
static void redraw(struct pool *p, double now)
{
	double elapsed = now - p->start;
	char left[48] = "time left not known yet";

	fprintf(stderr, "\r[%zu/%zu] cells, %zu running, elapsed %.1f s", p->done, p->total,
		p->running, elapsed);
	if (p->done)
		snprintf(left, sizeof(left), "about %.0f s left",
			 elapsed / (double)p->done * (double)(p->total - p->done));
	/* padded: a shorter line must cover the longer one drawn before it */
	fprintf(stderr, ", %-24s", left);
	fflush(stderr);
	p->drawn = now;
}

/* Simulated time passing in a worker: keep the terminal's elapsed time moving. */
static void show_progress(void *arg, uint64_t done_ns, uint64_t total_ns)
{
	struct pool *p = ((struct worker *)arg)->pool;
	double now;

	(void)done_ns;
	(void)total_ns;
	/* Never wait for the lock: progress is not worth slowing a simulation. */
	if (pthread_mutex_trylock(&p->lock))
		return;
	now = wall_seconds();
	if (now - p->drawn >= REDRAW_SECONDS)
		redraw(p, now);
	pthread_mutex_unlock(&p->lock);
}

/* The task's costs: the platform's resolved set, then its draw or extreme. */
static int task_costs(const struct compare_opts *o, const struct compare_task *t,
		      struct iommusim_cost *cost, struct failure *f)
{
	const struct iommusim_cost_param *param = iommusim_cost_param(t->param);
	long bad;
	int err;

	err = compare_configure(o, t->platform, cost, f->msg, sizeof(f->msg), &bad);
	if (err)
		return err;
	switch (t->vary) {
	case COMPARE_DRAW:
		return iommusim_study_lhs_apply(cost, o->seed, o->draws, t->draw,
						o->draw_fitted ? IOMMUSIM_STUDY_FITTED : 0, f->msg,
						sizeof(f->msg));
	case COMPARE_AT_MIN:
	case COMPARE_AT_MAX:
		return iommusim_cost_set_value(cost, t->param,
					       t->vary == COMPARE_AT_MIN ? param->min : param->max,
					       f->msg, sizeof(f->msg));
	default:
		return 0;
	}
}

static int run_task(struct worker *w, size_t index, const struct compare_task *t,
		    struct iommusim_sim_stats *st, struct failure *f)
{
	struct compare_series *series = w->pool->plan->series;
	const struct compare_opts *o = t->o ? t->o : w->pool->plan->o;
	bool keep = series && compare_series_wanted(o, t);
	struct iommusim_sim_config cfg;
	struct iommusim_sim *sim;
	int err;

	f->stage = STAGE_COSTS;
	err = task_costs(o, t, w->cost, f);
	if (err)
		return err;
	iommusim_scenario_sim_config(o->sc, o->kinds[t->platform], t->policy, w->cost, &cfg);
	cfg.cpus = o->wl.cpus;
	cfg.guest_memory = o->wl.guest_memory;
	cfg.nvme = o->wl.nvme;
	cfg.workload = o->wl.workload;
	cfg.mlx5 = o->wl.mlx5;
	cfg.trace = o->wl.trace;
	cfg.trace_timing = o->wl.trace_timing;
	if (compare_trace_recorded(o, t))
		cfg.record = o->record_trace;
	cfg.seed = t->seed;
	cfg.warmup_ns = o->warmup_ns;
	cfg.measure_ns = o->measure_ns;
	cfg.interval_ns = keep ? o->interval_ns : 0;
	if (w->pool->tty) {
		cfg.progress = show_progress;
		cfg.progress_arg = w;
	}
	f->stage = STAGE_CREATE;
	/* the library names what it refused; the report quotes it */
	err = iommusim_sim_create_msg(w->mem, &cfg, &sim, f->msg, sizeof(f->msg));
	if (err)
		return err;
	f->stage = STAGE_RUN;
	err = iommusim_sim_run(sim);
	if (!err)
		iommusim_sim_get_stats(sim, st);
	/* each task has its own slot: no lock needed */
	if (!err && keep)
		err = compare_series_keep(series, index, sim);
	iommusim_sim_destroy(sim);
	return err;
}

/* A task ended: its result to the plan, its line to stderr. Called with the lock held. */
static void finish(struct pool *p, size_t index, const struct compare_task *t,
		   const struct iommusim_sim_stats *st, double seconds)
{
	char label[160];

	p->plan->done(p->plan, index, st);
	p->done++;
	if (p->tty) {
		redraw(p, wall_seconds());
		return;
	}
	task_label(p->plan->o, t, label, sizeof(label));
	fprintf(stderr, "[%zu/%zu] %s ... %.1f s wall\n", p->done, p->total, label, seconds);
}

static bool task_runs(const struct compare_plan *plan, const struct compare_task *t)
{
	return compare_cell_runs(t->o ? t->o : plan->o, t->platform, t->policy);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct pool *p = w->pool;
	struct iommusim_sim_stats st;
	struct compare_task t;
	struct failure f;

	for (;;) {
		size_t index;
		double t0;
		int err;

		pthread_mutex_lock(&p->lock);
		if (p->stop || p->next == p->plan->ntasks) {
			pthread_mutex_unlock(&p->lock);
			return NULL;
		}
		index = p->next++;
		p->running++;
		pthread_mutex_unlock(&p->lock);

		/* a plan fills what its tasks use; the rest stays as nothing */
		t = (struct compare_task){.param = IOMMUSIM_COST_NR};
		p->plan->task(p->plan, index, &t);
		f.msg[0] = '\0';
		if (!task_runs(p->plan, &t)) {
			/* no simulation and no row: its slot keeps zeros */
			memset(&st, 0, sizeof(st));
			pthread_mutex_lock(&p->lock);
			p->running--;
			p->plan->done(p->plan, index, &st);
			pthread_mutex_unlock(&p->lock);
			continue;
		}
		t0 = wall_seconds();
		err = run_task(w, index, &t, &st, &f);

		pthread_mutex_lock(&p->lock);
		p->running--;
		if (!err) {
			finish(p, index, &t, &st, wall_seconds() - t0);
		} else if (index < p->failed.index) {
			f.index = index;
			f.task = t;
			f.err = err;
			p->failed = f;
			p->stop = true;
		}
		pthread_mutex_unlock(&p->lock);
	}
}

/* The one-line error for the first failed task; returns the exit status. */
static int report_failure(const struct compare_opts *o, const struct failure *f)
{
	const struct compare_task *t = &f->task;
	char label[160];

	task_label(o, t, label, sizeof(label));
	if (f->stage == STAGE_COSTS) {
		/* Every --set was checked before the runs; what is left is memory or a draw. */
		fprintf(stderr, "%s: %s: %s\n", o->cmd, label,
			f->msg[0] ? f->msg : iommusim_strerror(f->err));
		return 1;
	}
	if (f->stage == STAGE_CREATE && t->vary == COMPARE_POINT) {
		/*
		 * The scenario itself is valid, so what the user chose made it unbuildable: the
		 * overrides when there are some, else the workload's options (mlx5's probe order).
		 */
		if (f->err != -EINVAL) {
			fprintf(stderr, "%s: %s: %s\n", o->cmd, label,
				f->msg[0] ? f->msg : iommusim_strerror(f->err));
			return 1;
		}
		fprintf(stderr, "%s: %s%s cannot be built%s: %s\n", o->cmd,
			o->nsets ? "--set: " : "", label, o->nsets ? " with these values" : "",
			f->msg[0] ? f->msg : iommusim_strerror(f->err));
		return EXIT_BAD_INPUT;
	}
	if (f->stage == STAGE_CREATE) {
		fprintf(stderr, "%s: %s: %s cannot be built with its costs: %s\n", o->cmd,
			t->vary == COMPARE_DRAW ? "--uncertainty" : "--sensitivity", label,
			f->msg[0] ? f->msg : iommusim_strerror(f->err));
		return 1;
	}
	fprintf(stderr, "%s: %s: %s\n", o->cmd, label, iommusim_strerror(f->err));
	return 1;
}

static int workers_create(struct pool *p, struct worker *w, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		w[i].pool = p;
		if (iommusim_mem_create(IOMMUSIM_MEM_DEFAULT, &w[i].mem) ||
		    iommusim_cost_create(w[i].mem, &w[i].cost))
			return -ENOMEM;
	}
	return 0;
}

static void workers_destroy(struct worker *w, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		iommusim_cost_destroy(w[i].cost);
		iommusim_mem_destroy(w[i].mem);
	}
}

/* Start the threads and wait for them; 0, or -1 when not one could be started. */
static int workers_run(struct worker *w, size_t n)
{
	size_t started = 0;

	for (size_t i = 0; i < n; i++) {
		if (pthread_create(&w[i].thread, NULL, worker_main, &w[i]))
			break;
		started++;
	}
	/* Fewer threads only take longer; the report is the same. */
	for (size_t i = 0; i < started; i++)
		pthread_join(w[i].thread, NULL);
	return started ? 0 : -1;
}

int compare_run(struct compare_plan *plan)
{
	struct pool p = {.plan = plan, .failed.index = SIZE_MAX};
	size_t n = plan->o->jobs < plan->ntasks ? plan->o->jobs : plan->ntasks;
	struct worker *w = calloc(n ? n : 1, sizeof(*w));
	int ret = 0;

	p.tty = isatty(STDERR_FILENO);
	p.start = wall_seconds();
	for (size_t i = 0; i < plan->ntasks; i++) {
		struct compare_task t = {.param = IOMMUSIM_COST_NR};

		plan->task(plan, i, &t);
		p.total += task_runs(plan, &t);
	}
	if (!w || workers_create(&p, w, n) || pthread_mutex_init(&p.lock, NULL)) {
		fprintf(stderr, "%s: out of memory\n", plan->o->cmd);
		ret = 1;
		goto out;
	}
	if (p.tty)
		redraw(&p, p.start);
	if (workers_run(w, n)) {
		fprintf(stderr, "%s%s: cannot start a thread\n", p.tty ? "\n" : "", plan->o->cmd);
		ret = 1;
	} else if (p.failed.index != SIZE_MAX) {
		fputs(p.tty ? "\n" : "", stderr);
		ret = report_failure(plan->o, &p.failed);
	} else {
		fprintf(stderr, "%s%s: %zu runs in %.1f s wall, %zu at a time\n", p.tty ? "\n" : "",
			plan->o->cmd, p.total, wall_seconds() - p.start, n);
	}
	pthread_mutex_destroy(&p.lock);
out:
	if (w)
		workers_destroy(w, n);
	free(w);
	return ret;
}
