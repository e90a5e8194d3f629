# Timing helpers shared by the benchmark scripts (sourced, not run).

seconds() { # seconds COMMAND...: wall time of a command, its output discarded
  local start end
  start=$(date +%s.%N)
  "$@" >/dev/null
  end=$(date +%s.%N)
  echo "$end - $start" | bc -l
}
best() { # best OLD NEW: the smaller of two times (OLD may be empty)
  if [ -z "$1" ] || (($(echo "$2 < $1" | bc -l))); then echo "$2"; else echo "$1"; fi
}
