#!/usr/bin/env bash
# cxrisk benchmarks, all in one run so that ratios come from the same machine state.
#
#   benchmarks/run.sh [--quick]
#
# Builds cxrisk (Release) if needed and prints:
#   1. trials per second of cxrisk (1 thread, all threads) and of the numpy baseline on benchmarks/retailer.yaml,
#      their ratios, and the check that the two agree in their means;
#   2. cost per trial of the aggregate mode as the customer base grows from 10^3 to 10^9;
#   3. aggregate vs individual mode on 10^4 customers, and the individual mode's cost per customer;
#   4. cost per slot (problem of a segment) and period as the scenario grows from 36 to 6,000 slots;
#   5. peak memory (RSS) for 10^6 trials without --samples;
#   6. what bounds the speed: the draws a trial makes (cxrisk's draw census) times what each costs the batch
#      samplers alone (the sampler micro-benchmarks, built in build-bench), against the 10x target's budget;
#   7. values and word of mouth drawn once for the horizon: the benchmark with annual valuation against its
#      own lifetime valuation, for run and compare (the chains are the same but for the value draws and the
#      prospects' counts), and the annual variant raced against the numpy baseline on the same variant;
#   8. `cxrisk sensitivity` on the benchmark with its defaults (three metrics, every input, the design grown
#      until the ten largest total indices have intervals no wider than 0.05): wall time on every core, the
#      design's rows and the widest of those intervals (target: under 30 seconds), and `compare --voi`.
#   9. sampling designs: the standard deviation of the mean total_cost over 30 seeds at 4,096 trials of the
#      telecom scenario with random, Latin hypercube and Sobol sampling (target: Sobol at least 5x below
#      random), against the standard error each run reports; and what a design and correlations cost a trial;
#  10. time to a stated precision (total_cost mean to 0.1%, p95 to 0.5%): the numpy baseline with plain Monte
#      Carlo, cxrisk plain, and cxrisk with designs and variance reduction (targets: 100x numpy, 10x its own
#      plain).
#  11. reports: what --report adds to a run of 10^6 trials (time, peak memory, the sizes of report.html and
#      report.xlsx, target under 2 MB each), `cxrisk report DIR` alone, and the same with --samples.
# --quick uses fewer trials everywhere (for a smoke test; the figures are noisier). --studies runs sections 8
# to 10 alone; --precision section 10 alone; --reports section 11 alone.
set -euo pipefail
cd "$(dirname "$0")/.."
quick=0
studies=0
for arg in "$@"; do
  case $arg in
    --quick) quick=1 ;;
    --studies) studies=1 ;;
    --precision) studies=2 ;;
    --reports) studies=3 ;;
    *) echo "usage: benchmarks/run.sh [--quick] [--studies | --precision | --reports]" >&2; exit 2 ;;
  esac
done

PY=/usr/bin/python3
EXE=build/engine/cxrisk
SCENARIO=benchmarks/retailer.yaml
[ -x "$EXE" ] || scripts/bootstrap.sh >/dev/null
scripts/install_packages.sh python3-numpy python3-yaml
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

if ((quick)); then TRIALS=2000; SCALE_TRIALS=300; BIG=20000; REPEATS=1; else TRIALS=20000; SCALE_TRIALS=3000; BIG=1000000; REPEATS=3; fi
CORES=$(nproc)

# shellcheck source=benchmarks/timing.sh
source benchmarks/timing.sh
rate() { echo "scale=1; $1 / $2" | bc -l; }
declare -A us_per_trial
run_args=(--threads 1)
per_trial_each() { # per_trial_each N FILE...: us_per_trial[FILE], the microseconds per trial of `run FILE
  # run_args...` with set-up excluded, (t(N) - t(N/10)) / (0.9 N), each time the best of REPEATS rounds. In each
  # round every file's two sizes run in turn, so that a busy moment of these shared machines costs one round
  # of a few points (which the best of the rounds then drops) rather than every run of one point
  local n=$1 m=$(($1 / 10 > 0 ? $1 / 10 : 1)) f r
  shift
  local -A a=() b=()
  for ((r = 0; r < REPEATS; r++)); do
    for f in "$@"; do
      a[$f]=$(best "${a[$f]:-}" "$(seconds $EXE run "$f" --trials $m "${run_args[@]}")")
      b[$f]=$(best "${b[$f]:-}" "$(seconds $EXE run "$f" --trials "$n" "${run_args[@]}")")
    done
  done
  for f in "$@"; do us_per_trial[$f]=$(echo "1000000 * (${b[$f]} - ${a[$f]}) / ($n - $m)" | bc -l); done
}
per_trial_us() { # per_trial_us N FILE ARGS...: per_trial_each of one file, run with ARGS; prints the figure
  local n=$1 file=$2
  shift 2
  run_args=("$@")
  per_trial_each "$n" "$file"
  run_args=(--threads 1)
  echo "${us_per_trial[$file]}"
}

echo "# cxrisk benchmarks"
echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/{print $2}') GiB"
echo "cxrisk: $($EXE --version), $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
echo

if ((!studies)); then
echo "## 1. Throughput on $SCENARIO ($TRIALS trials; best of $REPEATS, interleaved)"
race() { # race FILE: TRIALS trials of FILE by cxrisk on 1 thread and on CORES threads, and by the numpy baseline
  # (its means checked against cxrisk's); sets t1, tn, tnp (seconds) and np_out (the baseline's last report).
  # The machines are shared and noisy: each configuration runs REPEATS times, the three in turn, and the best
  # (shortest) time of each counts, so that a slow moment of the machine does not land on one of them only.
  local file=$1 t
  $EXE run "$file" --trials $TRIALS --json > "$WORK/race.json"
  t1=""; tn=""; tnp=""
  for _ in $(seq "$REPEATS"); do
    t=$(seconds $EXE run "$file" --trials $TRIALS --threads 1); t1=$(best "$t1" "$t")
    t=$(seconds $EXE run "$file" --trials $TRIALS --threads "$CORES"); tn=$(best "$tn" "$t")
    np_out=$($PY benchmarks/baseline_numpy.py "$file" --trials $TRIALS --check "$WORK/race.json" 2>&1)
    echo "$np_out" | grep -q "agree" || { echo "$np_out"; exit 1; }
    t=$(echo "$np_out" | sed -n 's/.* in \([0-9.]*\) s .*/\1/p'); tnp=$(best "$tnp" "$t")
  done
}
race $SCENARIO
r1=$(rate $TRIALS "$t1"); rn=$(rate $TRIALS "$tn"); rnp=$(rate $TRIALS "$tnp")
printf "%-34s %10s trials/s  (%.2f s)\n" "cxrisk, 1 thread" "$r1" "$t1"
printf "%-34s %10s trials/s  (%.2f s)\n" "cxrisk, $CORES threads" "$rn" "$tn"
printf "%-34s %10s trials/s  (%.2f s)\n" "numpy baseline" "$rnp" "$tnp"
echo "$np_out" | grep "agree"
printf "ratio cxrisk %s threads / numpy: %.1fx   (target >= 10x)\n" "$CORES" "$(echo "$rn / $rnp" | bc -l)"
printf "ratio cxrisk 1 thread / numpy:   %.1fx\n" "$(echo "$r1 / $rnp" | bc -l)"
printf "scaling %s threads / 1 thread:     %.2fx   (target >= 1.8x)\n" "$CORES" "$(echo "$rn / $r1" | bc -l)"
echo

echo "## 2. Cost per trial as the customer base grows (aggregate, 1 thread, set-up excluded, best of $REPEATS)"
scaled() { # scaled TOTAL FILE: the benchmark scenario with its three segments scaled to TOTAL customers
  $PY - "$1" "$2" <<'PY'
import sys, yaml
total, out = int(sys.argv[1]), sys.argv[2]
sc = yaml.safe_load(open("benchmarks/retailer.yaml"))
base = sum(s["customers"] for s in sc["segments"])
for s in sc["segments"]:
    s["customers"] = max(1, round(s["customers"] * total / base))
yaml.safe_dump(sc, open(out, "w"), sort_keys=False)
PY
}
declare -A per_trial
for k in 3 4 5 6 7 8 9; do scaled $((10 ** k)) "$WORK/scaled_$k.yaml"; done
per_trial_each $SCALE_TRIALS "$WORK"/scaled_{3,4,5,6,7,8,9}.yaml
for k in 3 4 5 6 7 8 9; do per_trial[$k]=${us_per_trial[$WORK/scaled_$k.yaml]}; done
mid=${per_trial[6]}
for k in 3 4 5 6 7 8 9; do
  printf "10^%s customers: %8.1f us per trial  (%+.0f%% vs 10^6)\n" $k "${per_trial[$k]}" \
    "$(echo "100 * (${per_trial[$k]} - $mid) / $mid" | bc -l)"
done
echo

echo "## 3. Aggregate vs individual mode (best of $REPEATS)"
ind_trials=$((quick ? 40 : 200))
for k in 3 4 5; do
  [ -f "$WORK/scaled_$k.yaml" ] || scaled $((10 ** k)) "$WORK/scaled_$k.yaml"
done
ta=$(per_trial_us $((ind_trials * 10)) "$WORK/scaled_4.yaml" --threads 1)
ti=$(per_trial_us $ind_trials "$WORK/scaled_4.yaml" --threads 1 --mode individual)
printf "10^4 customers: aggregate %.1f us per trial, individual %.0f us per trial (%.0fx)\n" "$ta" "$ti" \
  "$(echo "$ti / $ta" | bc -l)"
for k in 3 5; do
  n=$((k == 5 ? ind_trials / 10 : ind_trials))
  printf "10^%s customers: individual %.0f us per trial\n" $k "$(per_trial_us $n "$WORK/scaled_$k.yaml" --threads 1 --mode individual)"
done
ns_per_customer=$(echo "1000 * $ti / 10000" | bc -l)
printf "individual mode: %.0f ns per customer and trial; 10,000 trials of 10^6 customers: %.1f hours on 1 thread\n" \
  "$ns_per_customer" "$(echo "$ns_per_customer * 10^6 * 10000 / 10^9 / 3600" | bc -l)"
echo

echo "## 4. Cost per slot and period as the scenario grows (aggregate, 1 thread, set-up excluded, best of $REPEATS)"
# A slot is one problem of one segment: the benchmark's 12 problems and 3 segments repeated (renamed) to
# larger scenarios, with the same customers per segment, so that the cost per slot and period shows what
# the size of a scenario itself costs (the chain advances the segments in blocks to keep this flat).
grown() { # grown PROBLEMS SEGMENTS FILE
  $PY - "$1" "$2" "$3" <<'PY'
import copy, sys, yaml
problems, segments, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
sc = yaml.safe_load(open("benchmarks/retailer.yaml"))
seg, prob = sc["segments"], sc["problems"]
sc["segments"] = [dict(copy.deepcopy(seg[i % len(seg)]), name=f"{seg[i % len(seg)]['name']}_{i}") for i in range(segments)]
sc["problems"] = [dict(copy.deepcopy(prob[i % len(prob)]), name=f"{prob[i % len(prob)]['name']}_{i}") for i in range(problems)]
yaml.safe_dump(sc, open(out, "w"), sort_keys=False)
PY
}
periods=$(grep -o 'periods: [0-9]*' $SCENARIO | head -1 | cut -d' ' -f2)
base_ns=""
for size in "12 3" "60 6" "120 15" "300 20"; do
  set -- $size
  slots=$(($1 * $2))
  grown "$1" "$2" "$WORK/grown_$slots.yaml"
  n=$((200000 / slots > 160 ? 200000 / slots : 160))
  ((quick)) && n=$((n / 4 > 32 ? n / 4 : 32))
  us=$(per_trial_us $n "$WORK/grown_$slots.yaml" --threads 1)
  ns=$(echo "1000 * $us / ($slots * $periods)" | bc -l)
  [ -n "$base_ns" ] || base_ns=$ns
  printf "%3s problems x %2s segments (%4s slots): %9.1f us per trial, %5.0f ns per slot and period (%+.0f%% vs 36 slots)\n" \
    "$1" "$2" "$slots" "$us" "$ns" "$(echo "100 * ($ns - $base_ns) / $base_ns" | bc -l)"
done
echo

echo "## 5. Peak memory for $BIG trials without --samples ($CORES threads)"
/usr/bin/time -f "%M" -o "$WORK/rss" $EXE run $SCENARIO --trials $BIG --out "$WORK/big" >/dev/null
printf "peak RSS: %.0f MB   (target < 300 MB); breakdown percentiles: %s\n" "$(echo "$(cat "$WORK/rss") / 1024" | bc -l)" \
  "$($PY -c "import json; print(json.load(open('$WORK/big/summary.json'))['breakdown_percentiles'])")"
echo

echo "## 6. What bounds the speed: the draws alone (1 thread)"
# How many draws a trial makes, by sampler and mean (cxrisk's draw census, CXRISK_DRAW_CENSUS), times what a
# draw costs the batch samplers at such a mean on their own (the sampler micro-benchmarks, best kernel set),
# against the time a trial may take on one core for cxrisk on all cores to reach 10x numpy.
census_trials=$((quick ? 100 : 400))
CXRISK_DRAW_CENSUS=1 $EXE run $SCENARIO --trials $census_trials --threads 1 2>"$WORK/census.txt" >/dev/null
scripts/install_packages.sh libbenchmark-dev
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DCXRISK_BENCHMARKS=ON >/dev/null
cmake --build build-bench -j"$CORES" --target cxrisk_samplers_bench >/dev/null
build-bench/benchmarks/cxrisk_samplers_bench --benchmark_filter='_batch/' --benchmark_repetitions=3 \
  --benchmark_report_aggregates_only=true --benchmark_format=json >"$WORK/samplers.json" 2>/dev/null
$PY - "$WORK/census.txt" "$WORK/samplers.json" "$census_trials" "$rnp" "$r1" "$CORES" <<'PY'
import json, sys
census_file, bench_file, trials, numpy_rate, one_thread_rate, cores = sys.argv[1:]
trials, numpy_rate, one_thread_rate, cores = int(trials), float(numpy_rate), float(one_thread_rate), int(cores)
# The census's classes (a mean of 0, then below 1, 10, 30, 100, 1e3, 1e4, and above) and the mean of the
# micro-benchmark that stands for each (none for the trivial draws of class 0, which are not counted).
stand_in = [None, 1, 5, 20, 60, 300, 3000, 30000]
counts = {}
for line in open(census_file):
    if line.startswith("cxrisk draw census: "):
        name, *values = line.split(":", 1)[1].split()
        counts[name] = [int(v) / trials for v in values]
bench = {}
for b in json.load(open(bench_file))["benchmarks"]:
    if b.get("aggregate_name") != "median" or b.get("error_occurred"):
        continue
    kind, mean, kernel_set = b["run_name"].split("/")
    of_set = bench.setdefault(int(kernel_set), {"label": b["label"]})
    of_set.setdefault(kind, {})[int(mean)] = 1e9 / b["items_per_second"]
ns = bench[max(bench)]
label = ns["label"]
kinds = {"binomial": "BM_binomial_batch", "poisson": "BM_poisson_batch", "value_sum": "BM_gamma_sum_batch"}
total = 0
print(f"kernel set: {label}; draws per trial from {trials} trials; ns per draw alone at the class's mean")
print(f"{'':10} {'<1':>7} {'1-10':>7} {'10-30':>7} {'30-100':>7} {'-1e3':>7} {'-1e4':>7} {'above':>7}   draws   us/trial")
for name, kind in kinds.items():
    per_class = counts[name]
    us = sum(per_class[c] * ns[kind][stand_in[c]] for c in range(1, 8)) / 1000
    total += us
    print(f"{name:10} " + " ".join(f"{per_class[c]:7.0f}" for c in range(1, 8)) +
          f" {sum(per_class[1:]):7.0f} {us:10.1f}")
    print(f"{'  ns/draw':10} " + " ".join(f"{ns[kind][stand_in[c]]:7.1f}" for c in range(1, 8)))
budget = 1e6 * cores / (10 * numpy_rate)
print(f"the draws alone: {total:.0f} us per trial; cxrisk's whole trial on 1 thread: {1e6 / one_thread_rate:.0f} us")
print(f"10x numpy ({10 * numpy_rate:.0f} trials/s on {cores} cores) allows {budget:.0f} us per trial per core: "
      f"the draws alone take {100 * total / budget:.0f}% of it")
PY
echo

echo "## 7. Values and word of mouth drawn once for the horizon (annual valuation; 1 thread but for the race, best of $REPEATS)"
# With the same valuation factor every period (annual valuation) and gamma values, a cell's values are one
# sum for the whole horizon instead of one a period, and its word of mouth's prospects one count; everything
# else of the chain is the same as with the benchmark's lifetime valuation, so the two show what that saves.
# Each compare runs the scenario and an improvement (incidences -20%, an investment) with every period's cost
# kept, which the annual one gets by splitting its horizon's counts and sums back into the periods.
cp $SCENARIO "$WORK/lifetime.yaml"
sed 's/valuation: {method: lifetime,/valuation: {method: annual,/' $SCENARIO >"$WORK/annual.yaml"
grep -q 'method: annual' "$WORK/annual.yaml" || { echo "annual variant not made"; exit 1; }
for v in lifetime annual; do
  printf 'cxrisk: 1\nname: Fewer problems\nextends: %s.yaml\nchanges:\n  - {scale: "problems.*.incidence", by: 0.8}\ninvestment: {upfront: 2.0e7, per_period: 1.0e6}\n' \
    "$v" >"$WORK/${v}_fix.yaml"
  CXRISK_DRAW_CENSUS=1 $EXE run "$WORK/$v.yaml" --trials 100 --threads 1 2>"$WORK/census_$v.txt" >/dev/null
done
draws() { awk '/draw census: /{for (i = 5; i <= NF; i++) s += $i} END {printf "%.0f", s / 100}' "$1"; }
# The two valuations' runs alternate, and so do their comparisons, each the best of REPEATS, so that a busy
# moment of the machine moves both rather than their ratio.
per_trial_each $((quick ? 300 : 8000)) "$WORK/lifetime.yaml" "$WORK/annual.yaml"
run_lifetime=${us_per_trial[$WORK/lifetime.yaml]}; run_annual=${us_per_trial[$WORK/annual.yaml]}
cmp_trials=$((quick ? 200 : 2000))
cmp_lifetime=""; cmp_annual=""
for _ in $(seq "$REPEATS"); do
  cmp_lifetime=$(best "$cmp_lifetime" "$(seconds $EXE compare "$WORK/lifetime.yaml" "$WORK/lifetime_fix.yaml" --trials $cmp_trials --threads 1)")
  cmp_annual=$(best "$cmp_annual" "$(seconds $EXE compare "$WORK/annual.yaml" "$WORK/annual_fix.yaml" --trials $cmp_trials --threads 1)")
done
printf "run, lifetime: %6.1f us per trial, %s draws a trial\n" "$run_lifetime" "$(draws "$WORK/census_lifetime.txt")"
printf "run, annual:   %6.1f us per trial, %s draws a trial (%+.0f%%)\n" "$run_annual" "$(draws "$WORK/census_annual.txt")" \
  "$(echo "100 * ($run_annual - $run_lifetime) / $run_lifetime" | bc -l)"
printf "compare of %s trials, lifetime: %.2f s; annual: %.2f s (%+.0f%%)\n" "$cmp_trials" "$cmp_lifetime" "$cmp_annual" \
  "$(echo "100 * ($cmp_annual - $cmp_lifetime) / $cmp_lifetime" | bc -l)"
# The annual variant raced against the numpy baseline run on the same variant (which draws every period's
# values, as the lifetime chain must), as section 1 races the benchmark: what the default valuation gives.
race "$WORK/annual.yaml"
printf "annual variant, %s trials: cxrisk %s threads %s trials/s, numpy %s trials/s: %.1fx\n" "$TRIALS" "$CORES" \
  "$(rate $TRIALS "$tn")" "$(rate $TRIALS "$tnp")" "$(echo "$tnp / $tn" | bc -l)"
echo "$np_out" | grep "agree"

fi  # sections 1 to 7

if ((studies == 0 || studies == 1)); then
echo
echo "## 8. Sensitivity and value of information on $SCENARIO"
[ -f "$WORK/lifetime_fix.yaml" ] ||
  printf 'cxrisk: 1\nname: Fewer problems\nextends: %s\nchanges:\n  - {scale: "problems.*.incidence", by: 0.8}\ninvestment: {upfront: 2.0e7, per_period: 1.0e6}\n' \
    "$PWD/$SCENARIO" >"$WORK/lifetime_fix.yaml"
sens_time=""
for _ in $(seq "$REPEATS"); do
  sens_time=$(best "$sens_time" "$(seconds $EXE sensitivity $SCENARIO --json --threads "$CORES")")
done
$EXE sensitivity $SCENARIO --json --threads "$CORES" >"$WORK/sensitivity.json"
$PY - "$WORK/sensitivity.json" "$sens_time" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
inputs = len(next(iter(s["metrics"].values()))["inputs"])
widest = max(i["sobol_total_ci"][1] - i["sobol_total_ci"][0] for m in s["metrics"].values() for i in m["inputs"][:10]
             if i["sobol_total_ci"] is not None)
groups = len(next(iter(s["metrics"].values()))["groups"]["problem"]) + len(next(iter(s["metrics"].values()))["groups"]["segment"]) \
    + len(next(iter(s["metrics"].values()))["groups"]["kind"])
evaluations = s["design_rows"] * (inputs + groups + 2)
print(f"sensitivity: {float(sys.argv[2]):.1f} s on every core; {s['trials']} full trials, {inputs} inputs and {groups} groups, "
      f"design {s['design_rows']} rows ({evaluations:,} evaluations of the chain in expectation), "
      f"widest interval of a top-ten total index {widest:.3f}")
PY
voi_trials=$((quick ? 2000 : 20000))
voi_time=$(seconds $EXE compare $SCENARIO "$WORK/lifetime_fix.yaml" --trials $voi_trials --threads "$CORES")
voi_with=$(seconds $EXE compare $SCENARIO "$WORK/lifetime_fix.yaml" --trials $voi_trials --threads "$CORES" --voi)
printf "compare of %s trials: %.1f s; with --voi: %.1f s\n" "$voi_trials" "$voi_time" "$voi_with"

echo
echo "## 9. Sampling designs on scenarios/telecom.yaml (4096 trials, 30 seeds each)"
# The spread of the mean over independent seeds is the error a design really has; each run's reported se
# should match it. The telecom scenario's risk comes almost wholly from its inputs, where designs help most.
design_seeds=$((quick ? 8 : 30))
for sampling in random lhs sobol; do
  for seed in $(seq "$design_seeds"); do
    $EXE run scenarios/telecom.yaml --trials 4096 --seed "$seed" --sampling $sampling --json --threads "$CORES" |
      $PY -c 'import json, sys; m = json.load(sys.stdin)["metrics"]["total_cost"]; print(m["mean"], m["se"])'
  done >"$WORK/design_$sampling.txt"
done
$PY - "$WORK" <<'PY'
import statistics, sys
spread, reported = {}, {}
for sampling in ("random", "lhs", "sobol"):
    rows = [tuple(map(float, line.split())) for line in open(f"{sys.argv[1]}/design_{sampling}.txt")]
    spread[sampling] = statistics.stdev(m for m, _ in rows)
    reported[sampling] = statistics.mean(s * s for _, s in rows) ** 0.5
    print(f"{sampling:7} sd of the mean over {len(rows)} seeds {spread[sampling]:14,.0f}; reported se (rms) "
          f"{reported[sampling]:14,.0f} ({reported[sampling] / spread[sampling]:.2f}x the spread)")
print(f"random / lhs: {spread['random'] / spread['lhs']:.1f}x; random / sobol: {spread['random'] / spread['sobol']:.1f}x "
      f"(the target: at least 5x); equal precision takes about {(spread['random'] / spread['sobol']) ** 2:.0f}x "
      "fewer trials with sobol")
PY
# What a design and the copula cost: the retailer per trial with each design, and the telecom scenario with and
# without its correlated incidences.
for sampling in random lhs sobol; do
  run_args=(--threads 1 --sampling $sampling)
  per_trial_each $((quick ? 300 : 4000)) $SCENARIO
  printf "retailer, %-6s %6.1f us per trial\n" "$sampling:" "${us_per_trial[$SCENARIO]}"
done
run_args=(--threads 1)
per_trial_each $((quick ? 2000 : 40000)) scenarios/telecom.yaml scenarios/telecom_correlated.yaml
printf "telecom %6.1f us per trial; with its incidences correlated %6.1f us per trial\n" \
  "${us_per_trial[scenarios/telecom.yaml]}" "${us_per_trial[scenarios/telecom_correlated.yaml]}"

fi  # sections 8 and 9

if ((studies != 3)); then
echo
echo "## 10. Time to a stated precision on $SCENARIO (total_cost mean to 0.1%, p95 to 0.5%)"
# cxrisk runs to the targets itself (rounds included in its time). The numpy baseline cannot: it is given the
# trials plain Monte Carlo needed (cxrisk's random run, the same model and so the same variance) at its own
# measured rate, which is the time it would take if it knew the count in advance.
targets=(--precision total_cost:mean:0.1% --precision total_cost:p95:0.5%)
((quick)) && targets=(--precision total_cost:mean:1% --precision total_cost:p95:2%)
np_trials=$((quick ? 500 : 4000))
np_out=$($PY benchmarks/baseline_numpy.py $SCENARIO --trials $np_trials 2>&1)
np_seconds=$(echo "$np_out" | sed -n 's/.* in \([0-9.]*\) s .*/\1/p')
# Each way: the design, and the estimators (plain, or the two-level ones of variance reduction).
ways=("random off" "sobol off" "random on" "lhs on" "sobol on")
for way in "${ways[@]}"; do
  read -r sampling reduce <<<"$way"
  start=$(date +%s.%N)
  $EXE run $SCENARIO "${targets[@]}" --sampling "$sampling" --variance-reduction "$reduce" --threads "$CORES" \
    --json >"$WORK/precision_${sampling}_$reduce.json"
  echo "$(echo "$(date +%s.%N) - $start" | bc -l)" >"$WORK/precision_${sampling}_$reduce.time"
done
$PY - "$WORK" "$np_trials" "$np_seconds" "${ways[@]}" <<'PY'
import json, sys
work, np_trials, np_seconds, ways = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4:]
runs = {}
for way in ways:
    name = way.replace(" ", "_")
    p = json.load(open(f"{work}/precision_{name}.json"))["precision"]
    runs[way] = (p["trials"], float(open(f"{work}/precision_{name}.time").read()), p["met"], p["rounds"])
plain_trials, plain_time = runs["random off"][0], runs["random off"][1]
numpy_time = np_seconds / np_trials * plain_trials
print(f"numpy baseline, plain Monte Carlo: {plain_trials} trials at {np_trials / np_seconds:.0f} trials/s = {numpy_time:.1f} s")
for way, (trials, seconds, met, rounds) in runs.items():
    sampling, reduce = way.split()
    label = f"{sampling}, {'two-level' if reduce == 'on' else 'plain'}"
    print(f"cxrisk, {label:17}: {trials:7} trials (rounds {rounds}), {seconds:6.1f} s, met {met}; "
          f"{numpy_time / seconds:5.1f}x the numpy baseline, {plain_time / seconds:4.1f}x its own plain run")
PY
fi  # section 10

if ((studies == 0 || studies == 3)); then
echo
echo "## 11. Reports: --report on a run of $BIG trials of scenarios/tarp_major.yaml (2 threads)"
# Interleaved, best of REPEATS: the run alone, the run with its report, the report remade from the folder.
best_plain=1e9; best_report=1e9; best_remake=1e9
for ((r = 0; r < REPEATS; r++)); do
  for way in plain report; do
    rm -rf "$WORK/r_$way"
    extra=(); [ "$way" = report ] && extra=(--report)
    /usr/bin/time -f "%e %M" -o "$WORK/time_$way" $EXE run scenarios/tarp_major.yaml --trials $BIG --threads "$CORES" \
      --out "$WORK/r_$way" "${extra[@]}" >/dev/null
  done
  /usr/bin/time -f "%e %M" -o "$WORK/time_remake" $EXE report "$WORK/r_report"
  read -r t m <"$WORK/time_plain"; best_plain=$(awk -v a="$t" -v b="$best_plain" 'BEGIN { print (a < b) ? a : b }'); mem_plain=$m
  read -r t m <"$WORK/time_report"; best_report=$(awk -v a="$t" -v b="$best_report" 'BEGIN { print (a < b) ? a : b }'); mem_report=$m
  read -r t m <"$WORK/time_remake"; best_remake=$(awk -v a="$t" -v b="$best_remake" 'BEGIN { print (a < b) ? a : b }')
done
echo "run alone:        ${best_plain} s, peak ${mem_plain} KB"
echo "run with report:  ${best_report} s, peak ${mem_report} KB"
echo "cxrisk report:    ${best_remake} s"
echo "report.html $(stat -c %s "$WORK/r_report/report.html") bytes, report.xlsx $(stat -c %s "$WORK/r_report/report.xlsx") bytes (target: under 2 MB each)"
rm -rf "$WORK/r_samples"
/usr/bin/time -f "%e %M" -o "$WORK/time_samples" $EXE run scenarios/tarp_major.yaml --trials $BIG --threads "$CORES" \
  --out "$WORK/r_samples" --report --samples >/dev/null
read -r t m <"$WORK/time_samples"
echo "with --samples:   ${t} s, peak ${m} KB; trials.csv $(stat -c %s "$WORK/r_samples/trials.csv") bytes, report.xlsx $(stat -c %s "$WORK/r_samples/report.xlsx") bytes (its Trials sheet holds every trial)"
fi
