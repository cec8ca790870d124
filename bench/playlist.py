"""Benchmark: the k-d tree waypoint engine against the original quadrant/±20° recursive walk.

    .venv/bin/python bench/playlist.py [--pairs 500] [--sizes 10000,100000,1000000]
        [--baseline-pairs 100,5,0] [--db-sizes spotify,100000] [--new-processes 3] [--no-controls] [--format markdown|json]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/NAME .venv/bin/python bench/playlist.py --sizes '' --db-sizes 1000000

Synthetic catalogs are uniform on the plane (fixed seed, ten songs per artist); the real set is
../shared/data/music/spotify_songs.csv mapped exactly as ``manage.py import_songs`` maps it.

* engine: ``apps.music.engine.plan_path`` alone (index query and path choice, no database), length 10.
* full call: ``apps.music.api.generate_playlist`` on a throw-away SQLite database (or the database
  of ``DATABASE_URL``, e.g. PostgreSQL: the songs are imported there under a ``bench-*`` source),
  including the catalog-version read, the read of the chosen rows and the cache; misses (a fresh seed
  each call) and hits reported separately. Around it: the import, the first call (database read,
  index build, snapshot written), the catalog read alone (plain SQL into numpy, and the ORM row read
  it replaced, same window), and the index load in a **new process** (``--new-processes`` fresh
  interpreters, each timing ``playlists.index_for`` after ``django.setup()``: the snapshot's path).
* controls: ``plan_path`` with two random waypoints, stay 2, a step limit of 6 and one song per
  artist, against the plain walk on the same pairs, interleaved (same time window, so the ratio holds
  on a noisy machine).
* stay sweep (iso principle): for stay k, how far the first k songs drift from the start (the walk may
  not move away from the target, so they edge toward it) and how much longer the remaining steps get.
* baseline: a plain-Python rewrite of the original walk: from the current point take the nearest song
  of the same quadrant whose bearing lies within ±20° of the bearing to the target, recurse; when none
  is left, jump to the nearest song in the other quadrants within the same cone; stop at the target.
  Songs on an axis belong to no quadrant (never chosen, and a start on an axis crashes).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SPOTIFY = ROOT.parent / "shared" / "data" / "music" / "spotify_songs.csv"
SEED = 20261129


def rss_mb() -> float:
    return psutil.Process().memory_info().rss / 2**20


def percentile(values, q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=np.float64), q))


# --- catalogs ------------------------------------------------------------------------------------


def synthetic_catalog(size: int):
    rng = np.random.default_rng(SEED + size)
    points = rng.uniform(-10, 10, size=(size, 2))
    return np.arange(1, size + 1), points, (np.arange(size) // 10).astype(np.int32)


def spotify_catalog():
    from apps.music.importer import SongRow, read_spotify_rows

    with open(SPOTIFY, encoding="utf-8-sig", errors="surrogateescape", newline="") as f:
        rows = {r.key: r for r in read_spotify_rows(f) if isinstance(r, SongRow)}  # as the import dedupes
    artists: dict[str, int] = {}
    points = np.array([(r.valence, r.arousal) for r in rows.values()])
    codes = np.array([artists.setdefault(r.artist.casefold(), len(artists)) for r in rows.values()], dtype=np.int32)
    return np.arange(1, len(points) + 1), points, codes


def random_pairs(count: int, seed: int = SEED):
    rng = np.random.default_rng(seed)
    return [(tuple(map(float, rng.uniform(-10, 10, 2))), tuple(map(float, rng.uniform(-10, 10, 2)))) for _ in range(count)]


# --- the baseline: the original walk, in plain Python ----------------------------------------------


def quadrant_of(p):
    x, y = p
    if x > 0 and y > 0:
        return 1
    if x < 0 < y:
        return 2
    if x < 0 and y < 0:
        return 3
    if x > 0 > y:
        return 4
    return None  # on an axis: in no quadrant


def bearing(a, b) -> float:
    return math.degrees(math.atan2(b[1] - a[1], b[0] - a[0]))


def nearest_in_cone(current, goal, candidates):
    aim = bearing(current, goal)
    low, high = aim - 20, aim + 20  # like the original: no wrap-around at ±180°
    best, best_distance = None, math.inf
    for song in candidates:
        if song is current:
            continue
        if low <= bearing(current, song) <= high:
            distance = math.hypot(song[0] - current[0], song[1] - current[1])
            if 0 < distance < best_distance:
                best, best_distance = song, distance
    return best


def baseline_playlist(quadrants, start, target):
    """The songs the original walk visits from start to target (the target pseudo-song excluded)."""
    goal = tuple(target)  # the target joins its quadrant's list as a pseudo-song, as in the original
    goal_quadrant = quadrant_of(goal)
    if goal_quadrant is not None:
        quadrants[goal_quadrant].append(goal)
    try:

        def within_quadrant(current, path):  # recursive, like the original
            nxt = nearest_in_cone(current, goal, quadrants[quadrant_of(current)])
            if nxt is None:
                return path
            path.append(nxt)
            return path if nxt is goal else within_quadrant(nxt, path)

        def walk(current, path):
            path = within_quadrant(current, path)
            if path and path[-1] is goal:
                return path
            here = path[-1] if path else current
            others = [s for q, songs in quadrants.items() if q != quadrant_of(here) for s in songs]
            nxt = nearest_in_cone(here, goal, others)
            if nxt is None:
                raise LookupError("no songs found within the range")
            path.append(nxt)
            return path if nxt is goal else walk(nxt, path)

        path = walk(tuple(start), [])
        return [p for p in path if p is not goal]
    finally:
        if goal_quadrant is not None:
            quadrants[goal_quadrant].pop()


def run_baseline(index, pairs, length=10):
    """The baseline on each pair, and the engine on the same pairs in the same time window.

    On a shared, noisy machine both see the same load; the speed-up is the ratio of the two
    medians over the same pairs. The engine runs in its own warm loop (three rounds, each pair's
    best), as it would in a worker, not right after the baseline has flushed the CPU caches.
    """
    from apps.music.engine import plan_path

    quadrants = {1: [], 2: [], 3: [], 4: []}
    for p in map(tuple, index.points.tolist()):
        q = quadrant_of(p)
        if q is not None:
            quadrants[q].append(p)
    engine_best = [math.inf] * len(pairs)
    for _ in range(3):
        for i, (start, target) in enumerate(pairs):
            began = time.perf_counter()
            plan_path(index, start, target, length)
            engine_best[i] = min(engine_best[i], (time.perf_counter() - began) * 1000)
    times, engine_times, lengths, failures = [], [], [], {}
    for (start, target), engine_ms in zip(pairs, engine_best, strict=True):
        began = time.perf_counter()
        try:
            path = baseline_playlist(quadrants, start, target)
        except RecursionError:
            failures["recursion limit"] = failures.get("recursion limit", 0) + 1
            continue
        except (LookupError, KeyError, TypeError) as exc:
            reason = "start on an axis" if isinstance(exc, (KeyError, TypeError)) else str(exc)
            failures[reason] = failures.get(reason, 0) + 1
            continue
        times.append((time.perf_counter() - began) * 1000)
        engine_times.append(engine_ms)
        lengths.append(len(path))
    return {
        "pairs": len(pairs),
        "p50_ms": percentile(times, 50) if times else None,
        "p99_ms": percentile(times, 99) if times else None,
        "engine_p50_same_pairs_ms": percentile(engine_times, 50) if engine_times else None,
        "speedup_p50": percentile(times, 50) / percentile(engine_times, 50) if times else None,
        "median_length": statistics.median(lengths) if lengths else None,
        "max_length": max(lengths) if lengths else None,
        "failures": failures,
    }


# --- the engine --------------------------------------------------------------------------------------


def run_engine(ids, points, artists, pairs, length=10):
    from apps.music.engine import CatalogIndex, path_metrics, plan_path

    rss_before = rss_mb()
    began = time.perf_counter()
    index = CatalogIndex.build(ids, points, artists)
    build_s = time.perf_counter() - began
    index_mb = rss_mb() - rss_before + (points.nbytes + ids.nbytes + artists.nbytes) / 2**20
    for start, target in pairs[:20]:  # warm up
        plan_path(index, start, target, length)
    times, cpu, metrics = [], [], []
    for start, target in pairs:
        began, began_cpu = time.perf_counter(), time.process_time()
        plan = plan_path(index, start, target, length)
        cpu.append((time.process_time() - began_cpu) * 1000)
        times.append((time.perf_counter() - began) * 1000)
        metrics.append(path_metrics(index.points[list(plan.rows)], start, target))
    ratio = [m.largest_step / m.ideal_step for m in metrics if m.ideal_step > 0]
    return index, {
        "songs": index.size,
        "build_s": build_s,
        "index_mb": index_mb,
        "p50_ms": percentile(times, 50),
        "p99_ms": percentile(times, 99),
        "cpu_p50_ms": percentile(cpu, 50),
        "cpu_mean_ms": statistics.fmean(cpu),
        "median_first_to_start": percentile([m.distance_first_to_start for m in metrics], 50),
        "max_first_to_start": max(m.distance_first_to_start for m in metrics),
        "median_last_to_target": percentile([m.distance_last_to_target for m in metrics], 50),
        "max_last_to_target": max(m.distance_last_to_target for m in metrics),
        "median_largest_over_ideal_step": percentile(ratio, 50),
        "p99_largest_over_ideal_step": percentile(ratio, 99),
        "monotonic_share": sum(m.monotonic for m in metrics) / len(metrics),
        "lengths": sorted({m.songs for m in metrics}),
    }


SHAPED = {"stay": 2, "max_step": 6.0, "artist_cap": 1}


def random_waypoints(count: int, per_pair: int = 2, seed: int = SEED + 2):
    rng = np.random.default_rng(seed)
    return [tuple(tuple(map(float, rng.uniform(-10, 10, 2))) for _ in range(per_pair)) for _ in range(count)]


def run_controls(index, pairs, length=10):
    """The engine with every control on against the plain walk, pair by pair in one loop (three rounds,
    each pair's best), so both see the same machine load."""
    from apps.music.engine import PLAIN, Controls, path_metrics, plan_path

    waypoints = random_waypoints(len(pairs))
    shaped = [Controls(waypoints=w, **SHAPED) for w in waypoints]
    plain_best, shaped_best = [math.inf] * len(pairs), [math.inf] * len(pairs)
    for _ in range(3):
        for i, (start, target) in enumerate(pairs):
            for best, controls in ((plain_best, PLAIN), (shaped_best, shaped[i])):
                began = time.perf_counter()
                plan_path(index, start, target, length, controls=controls)
                best[i] = min(best[i], (time.perf_counter() - began) * 1000)
    plans = [plan_path(index, s, t, length, controls=c) for (s, t), c in zip(pairs, shaped, strict=True)]
    metrics = [path_metrics(index.points[list(p.rows)], s, t, p.goals) for p, (s, t) in zip(plans, pairs, strict=True)]
    return {
        "plain_p50_ms": percentile(plain_best, 50),
        "p50_ms": percentile(shaped_best, 50),
        "p99_ms": percentile(shaped_best, 99),
        "ratio_p50": percentile(shaped_best, 50) / percentile(plain_best, 50),
        "within_step_limit": sum(m.largest_step <= SHAPED["max_step"] for m in metrics) / len(metrics),
        "ends_short": sum(any("cannot reach" in n for n in p.notes) for p in plans) / len(plans),
        "monotonic_per_leg": sum(m.monotonic for m in metrics) / len(metrics),
        "exact_length": sum(len(p.rows) == length for p in plans) / len(plans),
    }


def stay_sweep(index, pairs, lengths=(10, 20), stays=(1, 2, 3, 4, 6)):
    """Per (length, stay): the first ``stay`` songs' farthest distance from the start (median, p90) and the
    median largest step of the whole path ÷ the plain walk's, on the same pairs."""
    from apps.music.engine import Controls, path_metrics, plan_path

    rows = []
    for length in lengths:
        plain = [path_metrics(index.points[list(plan_path(index, s, t, length).rows)], s, t).largest_step for s, t in pairs]
        for stay in stays:
            drift, growth = [], []
            for (start, target), plain_step in zip(pairs, plain, strict=True):
                plan = plan_path(index, start, target, length, controls=Controls(stay=stay))
                points = index.points[list(plan.rows)]
                drift.append(float(np.hypot(*(points[:stay] - start).T).max()))
                growth.append(path_metrics(points, start, target).largest_step / plain_step if plain_step else 1.0)
            rows.append(
                {
                    "length": length,
                    "stay": stay,
                    "drift_p50": percentile(drift, 50),
                    "drift_p90": percentile(drift, 90),
                    "step_growth_p50": percentile(growth, 50),
                }
            )
    return rows


def axis_songs_reached(index, length=10):
    """For every song exactly on an axis: does a playlist aimed at its point end with a song there?"""
    from apps.music.engine import plan_path

    on_axis = np.flatnonzero((index.points[:, 0] == 0) | (index.points[:, 1] == 0))
    starts = random_pairs(len(on_axis), seed=SEED + 1)
    reached = 0
    for row, (start, _) in zip(on_axis.tolist(), starts, strict=True):
        target = tuple(map(float, index.points[row]))
        last = plan_path(index, start, target, length).rows[-1]
        reached += bool(np.all(index.points[last] == index.points[row]))
    return int(len(on_axis)), reached


# --- the full call, with the database ------------------------------------------------------------


def orm_catalog_arrays():
    """The catalog read as it was before the plain-SQL path (a tuple per row through the ORM), for the ratio."""
    from apps.music.models import Song

    ids, xs, ys, codes, artist_codes = [], [], [], [], {}
    for song_id, valence, arousal, artist in Song.objects.order_by("id").values_list("id", "valence", "arousal", "artist").iterator(chunk_size=20_000):
        ids.append(song_id)
        xs.append(valence)
        ys.append(arousal)
        codes.append(artist_codes.setdefault(artist.strip().casefold(), len(artist_codes)))
    return np.asarray(ids), np.column_stack([np.asarray(xs), np.asarray(ys)]), np.asarray(codes, dtype=np.int32)


NEW_PROCESS = (
    "import json, time, django; django.setup();"
    "from apps.music import api, playlists, selectors;"
    "v = selectors.catalog_version(); t = time.perf_counter(); size = playlists.index_for(v)[1].size;"
    "t1 = time.perf_counter(); api.generate_playlist((-3.0, 2.0), (4.0, -1.0), seed=123456789);"
    "print(json.dumps({'index_s': t1 - t, 'first_playlist_s': time.perf_counter() - t, 'songs': size}))"
)


def new_process_loads(count: int) -> list[dict]:
    """Fresh interpreters (same database, VAR_DIR and cache) timing the index load after django.setup()."""
    results = []
    for _ in range(count):
        out = subprocess.run([sys.executable, "-c", NEW_PROCESS], cwd=ROOT, env=os.environ, check=True, capture_output=True, text=True, timeout=300)
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return results


def server_usage() -> tuple[float, int] | None:
    """PostgreSQL: this connection's backend CPU seconds and the WAL position (bytes); None on SQLite,
    where the database's work is this process's own CPU."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid(), pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')")
        pid, wal = cursor.fetchone()
    times = psutil.Process(pid).cpu_times()  # the server runs on this machine
    return times.user + times.system, int(wal)


def run_full_call(label: str, csv_path: Path, pairs, work_dir: Path, new_processes: int = 0):
    from django.core.cache import cache
    from django.db import connection

    from apps.music import api, playlists, selectors

    cache.clear()
    playlists._index = None
    server_before, import_load = server_usage(), os.getloadavg()
    began, began_cpu = time.perf_counter(), time.process_time()
    report = api.import_songs(csv_path, source=f"bench-{label}", progress=False)
    import_s, import_cpu_s = time.perf_counter() - began, time.process_time() - began_cpu
    server_after = server_usage()
    began = time.perf_counter()
    api.generate_playlist((0.0, 0.0), (1.0, 1.0))  # reads the catalog, builds the index, writes the snapshot
    first_call_s = time.perf_counter() - began
    # The catalog read alone, the new way and the ORM way it replaced, back to back (same load).
    began = time.perf_counter()
    sql_ids = selectors.catalog_arrays()[0]
    sql_read_s = time.perf_counter() - began
    began = time.perf_counter()
    orm_ids = orm_catalog_arrays()[0]
    orm_read_s = time.perf_counter() - began
    assert np.array_equal(sql_ids, orm_ids)
    fresh = new_process_loads(new_processes)
    misses, misses_cpu, hits = [], [], []
    for i, (start, target) in enumerate(pairs):
        began, began_cpu = time.perf_counter(), time.process_time()
        api.generate_playlist(start, target, seed=i)
        misses_cpu.append((time.process_time() - began_cpu) * 1000)
        misses.append((time.perf_counter() - began) * 1000)
    for i, (start, target) in enumerate(pairs):
        began = time.perf_counter()
        api.generate_playlist(start, target, seed=i)
        hits.append((time.perf_counter() - began) * 1000)
    return {
        "catalog": label,
        "database": connection.vendor,
        "songs": api.catalog_size(),
        "import_s": import_s,
        "import_cpu_s": import_cpu_s,
        "import_server_cpu_s": server_after[0] - server_before[0] if server_after else None,
        "import_wal_mb": (server_after[1] - server_before[1]) / 2**20 if server_after else None,
        "import_load": [round(x, 2) for x in import_load],
        "import_rows": report["created"] + report["updated"] + report["skipped"],
        "first_call_s": first_call_s,
        "sql_read_s": sql_read_s,
        "orm_read_s": orm_read_s,
        "new_process_index_s": [round(r["index_s"], 3) for r in fresh],
        "new_process_first_playlist_s": [round(r["first_playlist_s"], 3) for r in fresh],
        "miss_p50_ms": percentile(misses, 50),
        "miss_p99_ms": percentile(misses, 99),
        "miss_cpu_p50_ms": percentile(misses_cpu, 50),
        "hit_p50_ms": percentile(hits, 50),
        "hit_p99_ms": percentile(hits, 99),
    }


def write_synthetic_csv(path: Path, size: int) -> Path:
    ids, points, artists = synthetic_catalog(size)
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["song", "artist", "valence", "energy"])
        for i, (x, y) in enumerate(points.tolist()):
            writer.writerow([f"Song {i}", f"Artist {artists[i]}", f"{(x + 10) / 20:.6f}", f"{(y + 10) / 20:.6f}"])
    return path


def setup_django(work_dir: Path) -> None:
    os.environ["SPG_VAR_DIR"] = str(work_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DJANGO_ENV", "local")  # a benchmark on a development machine
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    from apps.core.embedded_redis import ensure_redis_url

    ensure_redis_url()  # the cache's Redis: an embedded one when REDIS_URL is unset
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


# --- main ---------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=500)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--baseline-pairs", default="100,5,0", help="pairs for the baseline per synthetic size (0 skips; ~100 s a pair at 1M)")
    parser.add_argument("--db-sizes", default="spotify,100000", help="catalogs for the full-call run ('' skips)")
    parser.add_argument("--new-processes", type=int, default=3, help="fresh interpreters timing the index load per full-call catalog")
    parser.add_argument("--no-controls", action="store_true", help="skip the controls rows and the stay sweep")
    parser.add_argument("--format", choices=["markdown", "json"], default="markdown")
    args = parser.parse_args()

    pairs = random_pairs(args.pairs)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    baseline_pairs = [int(s) for s in args.baseline_pairs.split(",")] + [0] * len(sizes)
    results = {"engine": [], "controls": [], "stay_sweep": {}, "baseline": [], "full_call": [], "axis": {}}

    catalogs = [(f"synthetic {size:,}", lambda size=size: synthetic_catalog(size), baseline_pairs[i]) for i, size in enumerate(sizes)]
    if SPOTIFY.exists():
        catalogs.append(("spotify (real)", spotify_catalog, baseline_pairs[0]))
    for label, make, n_baseline in catalogs:
        ids, points, artists = make()
        index, engine = run_engine(ids, points, artists, pairs)
        results["engine"].append({"catalog": label, **engine})
        if not args.no_controls:
            results["controls"].append({"catalog": label, **run_controls(index, pairs)})
            if label.startswith("spotify") or label == "synthetic 100,000":
                results["stay_sweep"][label] = stay_sweep(index, pairs[:200])
        if n_baseline:
            results["baseline"].append({"catalog": label, **run_baseline(index, pairs[:n_baseline])})
        if label.startswith("spotify"):
            results["axis"] = dict(zip(("songs_on_axis", "reached_by_engine"), axis_songs_reached(index), strict=True))
        del index, ids, points, artists

    db_sizes = [s for s in args.db_sizes.split(",") if s]
    if db_sizes:
        with tempfile.TemporaryDirectory(prefix="spg-bench-") as tmp:
            work = Path(tmp)
            setup_django(work)
            for spec in db_sizes:
                if spec == "spotify":
                    if SPOTIFY.exists():
                        results["full_call"].append(run_full_call("spotify", SPOTIFY, pairs, work, args.new_processes))
                    continue
                size = int(spec)
                results["full_call"].append(run_full_call(f"{size:,}", write_synthetic_csv(work / f"s{size}.csv", size), pairs, work, args.new_processes))

    if args.format == "json":
        print(json.dumps(results, indent=2))
        return
    print(f"pairs: {args.pairs} random start/target pairs (seed {SEED}), playlist length 10\n")
    print("| catalog | songs | index build | index memory | engine p50 | engine p99 | engine CPU p50 / mean | first→start (median / max) | last→target (median / max) | largest step ÷ ideal (median / p99) | monotonic |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results["engine"]:
        print(
            f"| {r['catalog']} | {r['songs']:,} | {r['build_s']:.3f} s | {r['index_mb']:.0f} MB | {r['p50_ms']:.3f} ms | {r['p99_ms']:.3f} ms "
            f"| {r['cpu_p50_ms']:.3f} / {r['cpu_mean_ms']:.3f} ms "
            f"| {r['median_first_to_start']:.3f} / {r['max_first_to_start']:.3f} | {r['median_last_to_target']:.3f} / {r['max_last_to_target']:.3f} "
            f"| {r['median_largest_over_ideal_step']:.2f} / {r['p99_largest_over_ideal_step']:.2f} | {r['monotonic_share']:.0%} |"
        )
    if results["controls"]:
        print(
            f"\nEvery control on: two random waypoints, stay {SHAPED['stay']}, max step {SHAPED['max_step']:g}, "
            f"artist cap {SHAPED['artist_cap']} (same pairs, interleaved with the plain walk; each pair's best of 3)\n"
        )
        print("| catalog | plain p50 | controls p50 | controls p99 | ratio (p50 ÷ p50) | exact length | monotonic per leg | largest step ≤ limit | ends short (step limit) |")
        print("|---|---|---|---|---|---|---|---|---|")
        for r in results["controls"]:
            print(
                f"| {r['catalog']} | {r['plain_p50_ms']:.3f} ms | {r['p50_ms']:.3f} ms | {r['p99_ms']:.3f} ms | {r['ratio_p50']:.2f}× "
                f"| {r['exact_length']:.0%} | {r['monotonic_per_leg']:.0%} | {r['within_step_limit']:.0%} | {r['ends_short']:.0%} |"
            )
    for label, rows in results["stay_sweep"].items():
        print(f"\nStay sweep, {label} (200 pairs): the first k songs' farthest distance from the start; largest step ÷ the plain walk's\n")
        print("| length | stay k | drift p50 | drift p90 | largest step growth p50 |")
        print("|---|---|---|---|---|")
        for r in rows:
            print(f"| {r['length']} | {r['stay']} | {r['drift_p50']:.2f} | {r['drift_p90']:.2f} | {r['step_growth_p50']:.2f}× |")
    if results["baseline"]:
        print("\n| catalog | baseline pairs | baseline p50 | baseline p99 | playlist length (median / max) | failures | engine p50, same pairs | speed-up (p50 ÷ p50) |")
        print("|---|---|---|---|---|---|---|---|")
        for r in results["baseline"]:
            p50 = f"{r['p50_ms']:.1f} ms" if r["p50_ms"] is not None else "–"
            p99 = f"{r['p99_ms']:.1f} ms" if r["p99_ms"] is not None else "–"
            failures = ", ".join(f"{k}: {v}" for k, v in r["failures"].items()) or "none"
            engine = f"{r['engine_p50_same_pairs_ms']:.3f} ms" if r["engine_p50_same_pairs_ms"] is not None else "–"
            speedup = f"{r['speedup_p50']:.0f}×" if r["speedup_p50"] is not None else "–"
            print(f"| {r['catalog']} | {r['pairs']} | {p50} | {p99} | {r['median_length']} / {r['max_length']} | {failures} | {engine} | {speedup} |")
    if results["axis"]:
        a = results["axis"]
        print(
            f"\nspotify songs exactly on an axis: {a['songs_on_axis']}; playlists aimed at one end on it (engine): "
            f"{a['reached_by_engine']}; the baseline never picks them (they are in no quadrant)"
        )
    if results["full_call"]:
        print("\n| catalog | database | songs | import (CPU of this process; PostgreSQL: + the server's CPU, WAL written) | first call (DB read + index build + snapshot) | catalog read: SQL→numpy / ORM (ratio) | new process: index load (each) | new process: index + first playlist (each) | generate_playlist miss p50 / p99 | miss CPU p50 | hit p50 / p99 |")
        print("|---|---|---|---|---|---|---|---|---|---|---|")
        for r in results["full_call"]:
            print(
                f"| {r['catalog']} | {r['database']} | {r['songs']:,} | {r['import_rows']:,} rows in {r['import_s']:.1f} s ({r['import_cpu_s']:.1f} s"
                + (f"; server {r['import_server_cpu_s']:.1f} s, WAL {r['import_wal_mb']:.0f} MB" if r["import_server_cpu_s"] is not None else "")
                + f"; load {r['import_load'][0]:.1f} at the start) "
                f"| {r['first_call_s']:.2f} s | {r['sql_read_s']:.2f} / {r['orm_read_s']:.2f} s ({r['orm_read_s'] / r['sql_read_s']:.1f}×) "
                f"| {', '.join(f'{s:.2f}' for s in r['new_process_index_s'])} s | {', '.join(f'{s:.2f}' for s in r['new_process_first_playlist_s'])} s "
                f"| {r['miss_p50_ms']:.2f} / {r['miss_p99_ms']:.2f} ms | {r['miss_cpu_p50_ms']:.2f} ms "
                f"| {r['hit_p50_ms']:.2f} / {r['hit_p99_ms']:.2f} ms |"
            )
    print(f"\nload average (1/5/15 min) at the end: {', '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
