#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# docs/img/*.png are made by `mmuscope render`: re-render each one and compare byte
# for byte (deterministic for a given SDL / SDL_image / FreeType). MSC_REGEN_GOLDEN=1
# rewrites them.  check-doc-images.sh MMUSCOPE SOURCE_DIR
set -u
mm=$1; src=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail=0
# image | render arguments (relative to the source root)
while IFS='|' read -r img args; do
	[ -n "$img" ] || continue
	# shellcheck disable=SC2086
	(cd "$src" && "$mm" render $args -o "$tmp/$img") || { echo "FAIL: render $args"; fail=1; continue; }
	if [ "${MSC_REGEN_GOLDEN:-0}" = 1 ]; then
		cp "$tmp/$img" "$src/docs/img/$img"; echo "rewrote docs/img/$img"
	elif cmp -s "$tmp/$img" "$src/docs/img/$img"; then
		echo "ok: docs/img/$img"
	else
		echo "FAIL: docs/img/$img differs from: mmuscope render $args"; fail=1
	fi
done <<'LIST'
gui-unsync.png|scenarios/mmu/06-unsync-sync.json --step 16
gui-root-cache.png|scenarios/mmu/01-cr3-root-cache.json --step 20
LIST
exit $fail
