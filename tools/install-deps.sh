#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Install the Debian packages mmuscope builds and tests with, only those missing.
# Uses sudo when not root. Set MSC_NO_INSTALL=1 to only report what is missing.
set -eu
# python3: the CLI tests parse --json output with it. nasm builds the probe image
# (host/probe/); qemu-system-x86 runs it (host tests skip without it). SDL2 with
# SDL2_ttf/SDL2_image and the DejaVu fonts draw the GUI (viz/); xvfb, xauth and
# xdotool drive its real window in the tests.
pkgs=(cmake make gcc pkg-config libcmocka-dev libcjson-dev libcapstone-dev clang libclang-rt-14-dev clang-format python3 nasm qemu-system-x86
	libsdl2-dev libsdl2-ttf-dev libsdl2-image-dev fonts-dejavu-core xvfb xauth xdotool)
missing=()
for p in "${pkgs[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "install-deps: missing Debian packages: ${missing[*]}"
if [ "${MSC_NO_INSTALL:-0}" = 1 ]; then exit 1; fi
sudo=
if [ "$(id -u)" != 0 ]; then sudo=sudo; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
