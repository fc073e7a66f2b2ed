#!/bin/bash
# Check that every setting of a Kconfig fragment survived into a resolved
# .config.  Kconfig silently drops a request whose dependencies are not met
# (or a symbol that does not exist in this kernel version); the guest kernel
# must fail its build instead of booting without a feature we rely on.
#
#   check-config.sh FRAGMENT CONFIG
#
# Fragment lines:  CONFIG_X=<value>    CONFIG_X must be exactly <value>
#                  CONFIG_X=n          CONFIG_X must be unset
#                  # CONFIG_X is not set   same as =n
# Prints one "Kconfig dropped: <line> (got: ...)" per lost line on stderr and
# exits 1 if there is any; exits 2 on usage errors.
set -u
[ $# -eq 2 ] || { echo "usage: check-config.sh FRAGMENT CONFIG" >&2; exit 2; }
fragment=$1 config=$2
[ -r "$fragment" ] || { echo "check-config: cannot read fragment $fragment" >&2; exit 2; }
[ -r "$config" ] || { echo "check-config: cannot read config $config" >&2; exit 2; }

awk '
    FNR == NR {                       # the resolved .config
        if (match($0, /^CONFIG_[A-Za-z0-9_]+=/))
            have[substr($0, 1, RLENGTH - 1)] = substr($0, RLENGTH + 1)
        next
    }
    {
        line = $0
        if (match(line, /^# CONFIG_[A-Za-z0-9_]+ is not set$/)) {
            sym = line; sub(/^# /, "", sym); sub(/ is not set$/, "", sym); want = "n"
        } else if (match(line, /^CONFIG_[A-Za-z0-9_]+=/)) {
            sym = substr(line, 1, RLENGTH - 1); want = substr(line, RLENGTH + 1)
        } else if (line ~ /^[ \t]*(#.*)?$/) {
            next
        } else {
            printf "check-config: %s:%d: not a Kconfig line: %s\n", FILENAME, FNR, line > "/dev/stderr"
            bad++; next
        }
        checked++
        got = (sym in have) ? have[sym] : "n"
        if (got != want) {
            printf "Kconfig dropped: %s (got: %s)\n", line, (sym in have) ? sym "=" got : "not set" > "/dev/stderr"
            bad++
        }
    }
    END {
        if (bad) exit 1
        if (!checked) { print "check-config: no settings in fragment" > "/dev/stderr"; exit 2 }
    }
' "$config" "$fragment"
