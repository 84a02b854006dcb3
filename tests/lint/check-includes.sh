#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Enforce the layer rules of docs/architecture.md on #include lines:
#   cpu/ includes nothing from mmu/ sim/ viz/ host/ bench/ tools/
#   mmu/ includes only cpu/;  sim/ only cpu/ and mmu/
#   viz/ and host/ use sim/ (and cpu/ types), never mmu/ internals
#   cJSON only in sim/loader*, SDL only in viz/, <linux/kvm.h> only in host/,
#   Capstone only in cpu/decode*
set -u
root=${1:-.}
cd "$root" || exit 2
fail=0
bad() { echo "check-includes: $1"; fail=1; }

check_layer() { # dir allowed-project-dirs...
	local dir=$1; shift
	local allowed="$*"
	[ -d "$dir" ] || return 0
	while IFS= read -r line; do
		file=${line%%:*}
		inc=$(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' <<<"${line#*:}")
		[ -n "$inc" ] || continue
		top=${inc%%/*}
		case "$top" in cpu|mmu|sim|viz|host|bench|cli|tools|tests) ;; *) continue ;; esac
		ok=0
		for a in $allowed; do [ "$top" = "$a" ] && ok=1; done
		[ $ok = 1 ] || bad "$file includes \"$inc\": $dir/ may include only: $allowed"
	done < <(grep -rn --include='*.[ch]' '#[[:space:]]*include' "$dir" | sed 's/:[0-9]*:/:/')
}
check_layer cpu cpu
check_layer mmu cpu mmu
check_layer sim cpu mmu sim
check_layer viz cpu sim viz
check_layer host cpu sim host

only_in() { # pattern description allowed-path-regex
	local pat=$1 what=$2 allow=$3
	while IFS= read -r f; do
		[[ "$f" =~ $allow ]] || bad "$f includes $what (allowed only in $allow)"
	done < <(grep -rlE --include='*.[ch]' "$pat" cpu mmu sim viz host bench cli tools tests 2>/dev/null | grep -v '^tests/lint/')
}
only_in '#[[:space:]]*include[[:space:]]*[<"](cjson/)?cJSON\.h' cJSON '^sim/loader[^/]*$'
only_in '#[[:space:]]*include[[:space:]]*[<"]SDL2?/' SDL '^viz/'
only_in '#[[:space:]]*include[[:space:]]*<linux/kvm\.h>' '<linux/kvm.h>' '^host/'
only_in '#[[:space:]]*include[[:space:]]*[<"]capstone/' Capstone '^cpu/decode[^/]*$'

if [ $fail = 0 ]; then echo "check-includes: layer rules hold"; fi
exit $fail
