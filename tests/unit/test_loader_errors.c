/* SPDX-License-Identifier: MIT */
/*
 * Malformed scenarios: each is refused with MSC_EINVAL, an exact positioned
 * message ("file:line:col: /json/path: message") and a zeroed scenario.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/err.h"
#include "sim/loader.h"

/*
 * Inputs use ' for " (converted before loading). STEP() wraps one step in a valid
 * document, EXPECT() an expect object of a read access, MACHINE() the machine's
 * members; the columns in the wanted messages count the whole document.
 */
#define MEMSLOTS "'memslots': [{'gpa': '0x0', 'size': '0x100000'}]"
#define HEAD "{'version': 1, 'name': 'n', 'machine': {" MEMSLOTS "}, 'steps': ["
#define STEP(s) HEAD s "]}"
#define EXPECT(e) STEP("{'op': 'access', 'va': '0x0', 'kind': 'read', 'expect': " e "}")
#define MACHINE(m) "{'version': 1, 'name': 'n', 'machine': {" m "}, 'steps': []}"

struct err_case {
	const char *name;
	const char *in;
	const char *want;
};

static const struct err_case cases[] = {
	{"empty file", "", "t.json:1:1: invalid JSON: unexpected end of input"},
	{"whitespace only", "  \n  ", "t.json:2:3: invalid JSON: unexpected end of input"},
	{"truncated object", "{'version': 1, 'name': 'n'",
	 "t.json:1:27: invalid JSON: unexpected end of input"},
	{"truncated inside a string", "{'version': 1, 'name': 'abc",
	 "t.json:1:25: invalid JSON: unterminated string"},
	{"trailing comma in object", "{'version': 1,}",
	 "t.json:1:16: invalid JSON: expected a string key"},
	{"trailing comma in array", STEP("{'op': 'smi'},"),
	 "t.json:1:116: invalid JSON: expected a value"},
	{"missing colon", "{'version' 1}", "t.json:1:12: invalid JSON: expected ':' after a key"},
	{"unquoted key", "{version: 1}", "t.json:1:3: invalid JSON: expected a string key"},
	{"text after the document", "{} x",
	 "t.json:1:4: invalid JSON: unexpected text after the document"},
	{"leading zero", "{'version': 01}", "t.json:1:13: invalid JSON: invalid number"},
	{"number ending in a dot", "{'version': 1.}", "t.json:1:13: invalid JSON: invalid number"},
	{"raw tab in string", "{'version': 1, 'name': 'a\tb'}",
	 "t.json:1:26: invalid JSON: control character in string (escape it)"},
	{"bad escape", "{'version': 1, 'name': 'a\\qb'}",
	 "t.json:1:26: invalid JSON: bad escape in string"},
	{"escaped NUL", "{'version': 1, 'name': 'a\\u0000'}",
	 "t.json:1:26: invalid JSON: \\u0000 is not allowed in strings"},
	{"invalid UTF-8", "{'version': 1, 'name': '\xff'}",
	 "t.json:1:25: invalid JSON: invalid UTF-8 in string"},
	{"top level is an array", "[1]", "t.json:1:1: expected object, got array"},
	{"version missing", "{'name': 'n'}", "t.json:1:1: missing required key \"version\""},
	{"version is a string", "{'version': '1'}",
	 "t.json:1:13: /version: expected integer, got string"},
	{"version 0 too old", "{'version': 0, 'whatever': 1}",
	 "t.json:1:13: /version: version 0 is too old: this build reads version 1"},
	{"version -3 too old", "{'version': -3}",
	 "t.json:1:13: /version: version -3 is too old: this build reads version 1"},
	{"version 2 too new", "{'version': 2, 'new_key': {}}",
	 "t.json:1:13: /version: version 2 is too new: this build reads version 1"},
	{"version not integral", "{'version': 1.5}",
	 "t.json:1:13: /version: expected integer, got 1.5"},
	{"version beyond 2^53", "{'version': 1e300}",
	 "t.json:1:13: /version: integer out of range (beyond 2^53)"},
	{"unknown top-level key", "{'version': 1, 'nmae': 'x'}",
	 "t.json:1:16: /nmae: unknown key \"nmae\"; known keys: version name description machine "
	 "vcpus steps"},
	{"duplicate top-level key", "{'version': 1, 'name': 'a', 'name': 'b'}",
	 "t.json:1:29: /name: duplicate key \"name\""},
	{"name missing",
	 "{'version': 1, 'machine': {'memslots': [{'gpa': '0x0', 'size': '0x100000'}]}, 'steps': "
	 "[]}",
	 "t.json:1:1: missing required key \"name\""},
	{"name empty",
	 "{'version': 1, 'name': '', 'machine': {'memslots': [{'gpa': '0x0', 'size': "
	 "'0x100000'}]}, 'steps': []}",
	 "t.json:1:24: /name: name must not be empty"},
	{"name not a string", "{'version': 1, 'name': 7}",
	 "t.json:1:24: /name: expected string, got number"},
	{"machine missing", "{'version': 1, 'name': 'n', 'steps': []}",
	 "t.json:1:1: missing required key \"machine\""},
	{"steps missing",
	 "{'version': 1, 'name': 'n', 'machine': {'memslots': [{'gpa': '0x0', 'size': "
	 "'0x100000'}]}}",
	 "t.json:1:1: missing required key \"steps\""},
	{"steps not an array",
	 "{'version': 1, 'name': 'n', 'machine': {'memslots': [{'gpa': '0x0', 'size': "
	 "'0x100000'}]}, 'steps': {}}",
	 "t.json:1:101: /steps: expected array, got object"},
	{"description null", "{'version': 1, 'name': 'n', 'description': null}",
	 "t.json:1:44: /description: expected string, got null"},
	{"unknown machine key", MACHINE("'memslot': []"),
	 "t.json:1:41: /machine/memslot: unknown key \"memslot\"; known keys: vendor maxphyaddr "
	 "features memslots pt_pool tdp tdp_mmu host_pages max_mmu_pages tlb variants"},
	{"unknown vendor",
	 MACHINE("'vendor': 'via', 'memslots': [{'gpa': '0x0', 'size': '0x100000'}]"),
	 "t.json:1:51: /machine/vendor: unknown vendor \"via\"; expected one of: intel amd"},
	{"maxphyaddr 53",
	 MACHINE("'maxphyaddr': 53, 'memslots': [{'gpa': '0x0', 'size': '0x100000'}]"),
	 "t.json:1:55: /machine/maxphyaddr: 53 is out of range 32..52"},
	{"maxphyaddr as string",
	 MACHINE("'maxphyaddr': '46', 'memslots': [{'gpa': '0x0', 'size': '0x100000'}]"),
	 "t.json:1:55: /machine/maxphyaddr: expected integer, got string"},
	{"unknown feature",
	 MACHINE("'features': ['nx', 'avx'], 'memslots': [{'gpa': '0x0', 'size': '0x100000'}]"),
	 "t.json:1:60: /machine/features/1: unknown feature \"avx\"; expected one of: nx pse pse36 "
	 "pae pge 1g lm la57 smep smap pku pcid invpcid vmx ept.walk4 ept.walk5 ept.execonly "
	 "ept.ad ept.2m ept.1g vpid svm npt"},
	{"feature twice",
	 MACHINE("'features': ['nx', 'nx'], 'memslots': [{'gpa': '0x0', 'size': '0x100000'}]"),
	 "t.json:1:60: /machine/features/1: feature \"nx\" is listed twice"},
	{"impossible feature set",
	 MACHINE("'features': ['la57'], 'memslots': [{'gpa': '0x0', 'size': '0x100000'}]"),
	 "t.json:1:53: /machine/features: LA57 requires long mode: 5-level paging is an IA-32e "
	 "mode (SDM Vol. 3 4.1.1)"},
	{"no memslots", MACHINE("'memslots': []"),
	 "t.json:1:53: /machine/memslots: at least one memslot is required"},
	{"memslots missing", MACHINE("'tdp': 'none'"),
	 "t.json:1:40: /machine: missing required key \"memslots\""},
	{"memslot gpa unaligned", MACHINE("'memslots': [{'gpa': '0x1001', 'size': '0x1000'}]"),
	 "t.json:1:62: /machine/memslots/0/gpa: gpa 0x1001 is not page aligned"},
	{"memslot size zero", MACHINE("'memslots': [{'gpa': '0x0', 'size': '0x0'}]"),
	 "t.json:1:77: /machine/memslots/0/size: size 0x0 is not a positive multiple of 4 KiB"},
	{"memslot above 1 TiB", MACHINE("'memslots': [{'gpa': '0x0', 'size': '0x20000000000'}]"),
	 "t.json:1:77: /machine/memslots/0/size: size 0x20000000000 is above the bound of one "
	 "memslot (1 TiB)"},
	{"memslots above 1 TiB together",
	 MACHINE("'memslots': [{'gpa': '0x0', 'size': '0x10000000000'}, {'gpa': '0x10000000000', "
		 "'size': '0x1000'}]"),
	 "t.json:1:128: /machine/memslots/1/size: memslots add up to 0x10000001000 bytes, above "
	 "the 1 TiB bound"},
	{"memslot wraps", MACHINE("'memslots': [{'gpa': '0xfffffffffffff000', 'size': '0x1000'}]"),
	 "t.json:1:92: /machine/memslots/0/size: the memslot wraps past the top of the address "
	 "space"},
	{"memslots overlap",
	 MACHINE("'memslots': [{'gpa': '0x0', 'size': '0x2000'}, {'gpa': '0x1000', 'size': "
		 "'0x1000'}]"),
	 "t.json:1:96: /machine/memslots/1/gpa: memslot [0x1000, 0x2000) overlaps "
	 "/machine/memslots/0 [0x0, 0x2000)"},
	{"memslot id twice",
	 MACHINE("'memslots': [{'id': 3, 'gpa': '0x0', 'size': '0x1000'}, {'id': 3, 'gpa': "
		 "'0x1000', 'size': '0x1000'}]"),
	 "t.json:1:104: /machine/memslots/1/id: address space 0 already has a slot with id 3"},
	{"memslot id 65536", MACHINE("'memslots': [{'id': 65536, 'gpa': '0x0', 'size': '0x1000'}]"),
	 "t.json:1:61: /machine/memslots/0/id: 65536 is out of range 0..65535"},
	{"memslot as 2", MACHINE("'memslots': [{'as': 2, 'gpa': '0x0', 'size': '0x1000'}]"),
	 "t.json:1:61: /machine/memslots/0/as: 2 is out of range 0..1"},
	{"alias of a missing slot",
	 MACHINE("'memslots': [{'as': 1, 'gpa': '0x0', 'size': '0x1000', 'alias': {'id': 4}}]"),
	 "t.json:1:105: /machine/memslots/0/alias: alias names slot (as 0, id 4), which is not "
	 "listed before this one"},
	{"alias past its slot",
	 MACHINE("'memslots': [{'gpa': '0x0', 'size': '0x1000'}, {'as': 1, 'gpa': '0x0', 'size': "
		 "'0x2000', 'alias': {'id': 0}}]"),
	 "t.json:1:139: /machine/memslots/1/alias: the alias range (offset 0x0, size 0x2000) runs "
	 "past slot (as 0, id 0) of size 0x1000"},
	{"unknown memslot flag",
	 MACHINE("'memslots': [{'gpa': '0x0', 'size': '0x1000', 'flags': ['rw']}]"),
	 "t.json:1:97: /machine/memslots/0/flags/0: unknown memslot flag \"rw\"; expected one of: "
	 "readonly dirty_log"},
	{"memslot flag twice",
	 MACHINE("'memslots': [{'gpa': '0x0', 'size': '0x1000', 'flags': ['readonly', "
		 "'readonly']}]"),
	 "t.json:1:109: /machine/memslots/0/flags/1: flag \"readonly\" is listed twice"},
	{"unknown memslot key", MACHINE("'memslots': [{'base': '0x0', 'size': '0x1000'}]"),
	 "t.json:1:55: /machine/memslots/0/base: unknown key \"base\"; known keys: as id gpa size "
	 "flags alias"},
	{"memslot not an object", MACHINE("'memslots': ['0x0']"),
	 "t.json:1:54: /machine/memslots/0: expected object, got string"},
	{"tdp ept on amd",
	 MACHINE("'vendor': 'amd', 'memslots': [{'gpa': '0x0', 'size': '0x100000'}], 'tdp': 'ept'"),
	 "t.json:1:115: /machine/tdp: tdp \"ept\" needs the vmx feature"},
	{"unknown tlb policy",
	 MACHINE("'memslots': [{'gpa': '0x0', 'size': '0x100000'}], 'tlb': 'never'"),
	 "t.json:1:98: /machine/tlb: unknown tlb policy \"never\"; expected one of: retain walk"},
	{"unknown host page size",
	 MACHINE("'memslots': [{'gpa': '0x0', 'size': '0x100000'}], 'host_pages': '2g'"),
	 "t.json:1:105: /machine/host_pages: unknown host page size \"2g\"; expected one of: 4k 2m "
	 "1g"},
	{"host_pages not string",
	 MACHINE("'memslots': [{'gpa': '0x0', 'size': '0x100000'}], 'host_pages': 2"),
	 "t.json:1:105: /machine/host_pages: expected string, got number"},
	{"tdp_mmu not bool",
	 MACHINE("'memslots': [{'gpa': '0x0', 'size': '0x100000'}], 'tdp_mmu': 1"),
	 "t.json:1:102: /machine/tdp_mmu: expected bool, got number"},
	{"max_mmu_pages negative",
	 MACHINE("'memslots': [{'gpa': '0x0', 'size': '0x100000'}], 'max_mmu_pages': -1"),
	 "t.json:1:108: /machine/max_mmu_pages: -1 is out of range 0..4294967295"},
	{"unknown variant",
	 MACHINE("'memslots': [{'gpa': '0x0', 'size': '0x100000'}], 'variants': "
		 "['old_pte_prefetch']"),
	 "t.json:1:104: /machine/variants/0: unknown variant \"old_pte_prefetch\" (see "
	 "docs/variants.md)"},
	{"variant twice",
	 MACHINE("'memslots': [{'gpa': '0x0', 'size': '0x100000'}], 'variants': "
		 "['write_track_one_as', 'write_track_one_as']"),
	 "t.json:1:126: /machine/variants/1: variant \"write_track_one_as\" given twice"},
	{"pt_pool unaligned",
	 MACHINE("'memslots': [{'gpa': '0x0', 'size': '0x100000'}], 'pt_pool': {'gpa': '0x10', "
		 "'size': '0x1000'}"),
	 "t.json:1:110: /machine/pt_pool/gpa: gpa 0x10 is not page aligned"},
	{"pt_pool unknown key",
	 MACHINE("'memslots': [{'gpa': '0x0', 'size': '0x100000'}], 'pt_pool': {'gpa': '0x0', "
		 "'size': '0x1000', 'end': '0x1000'}"),
	 "t.json:1:135: /machine/pt_pool/end: unknown key \"end\"; known keys: as gpa size"},
	{"hex without digits", MACHINE("'memslots': [{'gpa': '0x', 'size': '0x1000'}]"),
	 "t.json:1:62: /machine/memslots/0/gpa: expected hex string (\"0x\" and 1..16 hex digits), "
	 "got \"0x\""},
	{"hex of 17 digits",
	 MACHINE("'memslots': [{'gpa': '0x10000000000000000', 'size': '0x1000'}]"),
	 "t.json:1:62: /machine/memslots/0/gpa: expected hex string (\"0x\" and 1..16 hex digits), "
	 "got \"0x10000000000000000\""},
	{"hex without 0x", MACHINE("'memslots': [{'gpa': '1000', 'size': '0x1000'}]"),
	 "t.json:1:62: /machine/memslots/0/gpa: expected hex string (\"0x\" and 1..16 hex digits), "
	 "got \"1000\""},
	{"hex with a bad digit", MACHINE("'memslots': [{'gpa': '0x1g', 'size': '0x1000'}]"),
	 "t.json:1:62: /machine/memslots/0/gpa: expected hex string (\"0x\" and 1..16 hex digits), "
	 "got \"0x1g\""},
	{"hex with 0X", MACHINE("'memslots': [{'gpa': '0X1000', 'size': '0x1000'}]"),
	 "t.json:1:62: /machine/memslots/0/gpa: expected hex string (\"0x\" and 1..16 hex digits), "
	 "got \"0X1000\""},
	{"no vcpus",
	 "{'version': 1, 'name': 'n', 'machine': {'memslots': [{'gpa': '0x0', 'size': "
	 "'0x100000'}]}, 'vcpus': [], 'steps': []}",
	 "t.json:1:101: /vcpus: at least one vCPU is required"},
	{"unknown vcpu register",
	 "{'version': 1, 'name': 'n', 'machine': {'memslots': [{'gpa': '0x0', 'size': "
	 "'0x100000'}]}, 'vcpus': [{'cr5': '0x0'}], 'steps': []}",
	 "t.json:1:103: /vcpus/0/cr5: unknown key \"cr5\"; known keys: cr0 cr3 cr4 efer rflags cpl "
	 "pkru cs_l"},
	{"vcpu cpl 4",
	 "{'version': 1, 'name': 'n', 'machine': {'memslots': [{'gpa': '0x0', 'size': "
	 "'0x100000'}]}, 'vcpus': [{'cpl': 4}], 'steps': []}",
	 "t.json:1:110: /vcpus/0/cpl: 4 is out of range 0..3"},
	{"pkru beyond 32 bits",
	 "{'version': 1, 'name': 'n', 'machine': {'memslots': [{'gpa': '0x0', 'size': "
	 "'0x100000'}]}, 'vcpus': [{'pkru': '0x100000000'}], 'steps': []}",
	 "t.json:1:111: /vcpus/0/pkru: pkru 0x100000000 does not fit in 32 bits"},
	{"bad cr0 flag",
	 "{'version': 1, 'name': 'n', 'machine': {'memslots': [{'gpa': '0x0', 'size': "
	 "'0x100000'}]}, 'vcpus': [{'cr0': 'PE|PX'}], 'steps': []}",
	 "t.json:1:110: /vcpus/0/cr0: unknown cr0 flag \"PX\"; names: PE MP EM TS ET NE WP AM NW "
	 "CD PG, or hex terms such as 0x20"},
	{"cr3 takes hex only",
	 "{'version': 1, 'name': 'n', 'machine': {'memslots': [{'gpa': '0x0', 'size': "
	 "'0x100000'}]}, 'vcpus': [{'cr3': 'PCD'}], 'steps': []}",
	 "t.json:1:110: /vcpus/0/cr3: \"PCD\" is not a hex term (cr3 takes hex terms such as "
	 "0x1000)"},
	{"vcpu not an object",
	 "{'version': 1, 'name': 'n', 'machine': {'memslots': [{'gpa': '0x0', 'size': "
	 "'0x100000'}]}, 'vcpus': [[]], 'steps': []}",
	 "t.json:1:102: /vcpus/0: expected object, got array"},
	{"step not an object", STEP("1"), "t.json:1:102: /steps/0: expected object, got number"},
	{"step without op", STEP("{'va': '0x0'}"),
	 "t.json:1:102: /steps/0: missing required key \"op\""},
	{"unknown op", STEP("{'op': 'mapp'}"),
	 "t.json:1:109: /steps/0/op: unknown op \"mapp\"; expected one of: set map unmap set_entry "
	 "mem_write mem_read access invlpg invpcid flush_tlb smi rsm vmentry vmexit pre_fault "
	 "memslot_add memslot_delete memslot_flags zap_all expect"},
	{"key of another op", STEP("{'op': 'smi', 'va': '0x0'}"),
	 "t.json:1:116: /steps/0/va: unknown key \"va\" for op \"smi\"; known keys: op vcpu note "
	 "insn expect"},
	{"vcpu that does not exist", STEP("{'op': 'smi', 'vcpu': 1}"),
	 "t.json:1:124: /steps/0/vcpu: vcpu 1 does not exist (the scenario has 1 vCPU)"},
	{"vcpu negative", STEP("{'op': 'smi', 'vcpu': -1}"),
	 "t.json:1:124: /steps/0/vcpu: -1 is out of range 0..65535"},
	{"note not a string", STEP("{'op': 'smi', 'note': 5}"),
	 "t.json:1:124: /steps/0/note: expected string, got number"},
	{"insn split byte", STEP("{'op': 'smi', 'insn': '4 8'}"),
	 "t.json:1:124: /steps/0/insn: expected 1..15 instruction bytes as hex pairs such as \"48 "
	 "89 18\", got \"4 8\""},
	{"insn of 16 bytes",
	 STEP("{'op': 'smi', 'insn': '00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f'}"),
	 "t.json:1:124: /steps/0/insn: expected 1..15 instruction bytes as hex pairs such as \"48 "
	 "89 18\", got \"00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0...\""},
	{"insn empty", STEP("{'op': 'smi', 'insn': ''}"),
	 "t.json:1:124: /steps/0/insn: expected 1..15 instruction bytes as hex pairs such as \"48 "
	 "89 18\", got \"\""},
	{"set without registers", STEP("{'op': 'set', 'note': 'nothing'}"),
	 "t.json:1:102: /steps/0: set needs at least one register (cr0 cr3 cr4 efer rflags cpl "
	 "pkru cs_l)"},
	{"map without format",
	 STEP("{'op': 'map', 'root': '0x0', 'va': '0x0', 'pa': '0x0', 'flags': 'P'}"),
	 "t.json:1:102: /steps/0: missing required key \"format\""},
	{"map with unknown format",
	 STEP("{'op': 'map', 'format': '6level', 'root': '0x0', 'va': '0x0', 'pa': '0x0', 'flags': "
	      "'P'}"),
	 "t.json:1:126: /steps/0/format: unknown format \"6level\"; expected one of: 32 pae 4level "
	 "5level ept4 ept5"},
	{"map 4m in 4level",
	 STEP("{'op': 'map', 'format': '4level', 'root': '0x0', 'va': '0x0', 'pa': '0x0', 'size': "
	      "'4m', 'flags': 'P'}"),
	 "t.json:1:185: /steps/0/size: page size \"4m\" is not valid for format \"4level\" (valid: "
	 "4k 2m 1g)"},
	{"map 1g in pae",
	 STEP("{'op': 'map', 'format': 'pae', 'root': '0x0', 'va': '0x0', 'pa': '0x0', 'size': "
	      "'1g', 'flags': 'P'}"),
	 "t.json:1:182: /steps/0/size: page size \"1g\" is not valid for format \"pae\" (valid: 4k "
	 "2m)"},
	{"map va unaligned for 2m",
	 STEP("{'op': 'map', 'format': '4level', 'root': '0x0', 'va': '0x1000', 'pa': '0x0', "
	      "'size': '2m', 'flags': 'P'}"),
	 "t.json:1:157: /steps/0/va: va 0x1000 is not aligned to its 2m page"},
	{"map pa unaligned",
	 STEP("{'op': 'map', 'format': '4level', 'root': '0x0', 'va': '0x0', 'pa': '0x10', "
	      "'flags': 'P'}"),
	 "t.json:1:170: /steps/0/pa: pa 0x10 is not aligned to its 4k page"},
	{"map unknown legacy flag",
	 STEP("{'op': 'map', 'format': '4level', 'root': '0x0', 'va': '0x0', 'pa': '0x0', 'flags': "
	      "'P|RW'}"),
	 "t.json:1:186: /steps/0/flags: unknown legacy entry flag \"RW\"; names: P W U PWT PCD A D "
	 "PS G NX PKEY=0..15, or hex terms such as 0x20"},
	{"map EPT flag in legacy format",
	 STEP("{'op': 'map', 'format': '32', 'root': '0x0', 'va': '0x0', 'pa': '0x0', 'flags': "
	      "'R|X'}"),
	 "t.json:1:182: /steps/0/flags: unknown legacy entry flag \"R\"; names: P W U PWT PCD A D "
	 "PS G NX PKEY=0..15, or hex terms such as 0x20"},
	{"map MT=9",
	 STEP("{'op': 'map', 'format': 'ept4', 'root': '0x0', 'va': '0x0', 'pa': '0x0', 'flags': "
	      "'R|MT=9'}"),
	 "t.json:1:184: /steps/0/flags: bad memory type \"MT=9\": MT= takes 0..7, UC, WC, WT, WP "
	 "or WB"},
	{"map PKEY=16",
	 STEP("{'op': 'map', 'format': '5level', 'root': '0x0', 'va': '0x0', 'pa': '0x0', 'flags': "
	      "'P|PKEY=16'}"),
	 "t.json:1:186: /steps/0/flags: bad protection key \"PKEY=16\": PKEY=n takes n = 0..15"},
	{"map flags empty",
	 STEP("{'op': 'map', 'format': '4level', 'root': '0x0', 'va': '0x0', 'pa': '0x0', 'flags': "
	      "''}"),
	 "t.json:1:186: /steps/0/flags: empty flags expression (write \"0x0\" for none)"},
	{"map flags with an empty term",
	 STEP("{'op': 'map', 'format': '4level', 'root': '0x0', 'va': '0x0', 'pa': '0x0', 'flags': "
	      "'P||W'}"),
	 "t.json:1:186: /steps/0/flags: empty term in flags expression \"P||W\""},
	{"map unknown mode",
	 STEP("{'op': 'map', 'format': '4level', 'root': '0x0', 'va': '0x0', 'pa': '0x0', 'flags': "
	      "'P', 'mode': 'host'}"),
	 "t.json:1:199: /steps/0/mode: unknown mode \"host\"; expected one of: setup guest"},
	{"set_entry level 3 in 32-bit",
	 STEP("{'op': 'set_entry', 'format': '32', 'root': '0x0', 'va': '0x0', 'level': 3, "
	      "'value': '0x0'}"),
	 "t.json:1:175: /steps/0/level: level 3 is beyond format \"32\" (levels 1..2)"},
	{"set_entry level 0",
	 STEP("{'op': 'set_entry', 'format': '4level', 'root': '0x0', 'va': '0x0', 'level': 0, "
	      "'value': '0x0'}"),
	 "t.json:1:179: /steps/0/level: 0 is out of range 1..5"},
	{"set_entry value beyond 32 bits",
	 STEP("{'op': 'set_entry', 'format': '32', 'root': '0x0', 'va': '0x0', 'level': 1, "
	      "'value': '0x100000000'}"),
	 "t.json:1:187: /steps/0/value: value 0x100000000 does not fit the 4-byte entries of "
	 "format \"32\""},
	{"unmap root unaligned",
	 STEP("{'op': 'unmap', 'format': '4level', 'root': '0x1020', 'va': '0x0'}"),
	 "t.json:1:146: /steps/0/root: root 0x1020 is not page aligned"},
	{"pae root not 32-byte aligned",
	 STEP("{'op': 'unmap', 'format': 'pae', 'root': '0x1010', 'va': '0x0'}"),
	 "t.json:1:143: /steps/0/root: root 0x1010 is not 32-byte aligned"},
	{"va beyond 32 bits in pae",
	 STEP("{'op': 'unmap', 'format': 'pae', 'root': '0x1000', 'va': '0x100000000'}"),
	 "t.json:1:159: /steps/0/va: va 0x100000000 is beyond 32 bits (format \"pae\")"},
	{"mem_write size 3", STEP("{'op': 'mem_write', 'gpa': '0x0', 'size': 3, 'value': '0x0'}"),
	 "t.json:1:144: /steps/0/size: size 3 is not 1, 2, 4 or 8"},
	{"mem_write value too wide",
	 STEP("{'op': 'mem_write', 'gpa': '0x0', 'size': 2, 'value': '0x10000'}"),
	 "t.json:1:156: /steps/0/value: value 0x10000 does not fit in 2 bytes"},
	{"mem_write without value", STEP("{'op': 'mem_write', 'gpa': '0x0'}"),
	 "t.json:1:102: /steps/0: missing required key \"value\""},
	{"mem_read with value", STEP("{'op': 'mem_read', 'gpa': '0x0', 'value': '0x0'}"),
	 "t.json:1:135: /steps/0/value: unknown key \"value\" for op \"mem_read\"; known keys: op "
	 "vcpu note insn expect gpa as size"},
	{"access crossing a page",
	 STEP("{'op': 'access', 'va': '0x1ffc', 'kind': 'read', 'size': 8}"),
	 "t.json:1:159: /steps/0/size: an access of 8 bytes at 0x1ffc crosses a page boundary"},
	{"access unknown kind", STEP("{'op': 'access', 'va': '0x0', 'kind': 'exec'}"),
	 "t.json:1:140: /steps/0/kind: unknown access kind \"exec\"; expected one of: read write "
	 "fetch"},
	{"access without kind", STEP("{'op': 'access', 'va': '0x0'}"),
	 "t.json:1:102: /steps/0: missing required key \"kind\""},
	{"access value on a read",
	 STEP("{'op': 'access', 'va': '0x0', 'kind': 'read', 'value': '0x1'}"),
	 "t.json:1:157: /steps/0/value: value is only for writes (kind \"read\")"},
	{"access cpl not integral",
	 STEP("{'op': 'access', 'va': '0x0', 'kind': 'read', 'cpl': 1.5}"),
	 "t.json:1:155: /steps/0/cpl: expected integer, got 1.5"},
	{"access size beyond 2^53",
	 STEP("{'op': 'access', 'va': '0x0', 'kind': 'read', 'size': 1e18}"),
	 "t.json:1:156: /steps/0/size: integer out of range (beyond 2^53)"},
	{"access va as number", STEP("{'op': 'access', 'va': 4096, 'kind': 'read'}"),
	 "t.json:1:125: /steps/0/va: expected hex string, got number"},
	{"access implicit as string",
	 STEP("{'op': 'access', 'va': '0x0', 'kind': 'read', 'implicit': 'yes'}"),
	 "t.json:1:160: /steps/0/implicit: expected bool, got string"},
	{"invpcid type 4", STEP("{'op': 'invpcid', 'type': 4}"),
	 "t.json:1:128: /steps/0/type: 4 is out of range 0..3"},
	{"invpcid pcid 4096", STEP("{'op': 'invpcid', 'type': 0, 'pcid': 4096}"),
	 "t.json:1:139: /steps/0/pcid: 4096 is out of range 0..4095"},
	{"vmentry vmx and svm", STEP("{'op': 'vmentry', 'vmx': {}, 'svm': {}}"),
	 "t.json:1:131: /steps/0/svm: vmx and svm exclude each other"},
	{"vmentry svm on intel", STEP("{'op': 'vmentry', 'svm': {'npt': true}}"),
	 "t.json:1:127: /steps/0/svm: svm needs the svm feature"},
	{"vmentry unknown vmx key", STEP("{'op': 'vmentry', 'vmx': {'ept': '0x0'}}"),
	 "t.json:1:128: /steps/0/vmx/ept: unknown key \"ept\"; known keys: eptp vpid"},
	{"vmentry l2 unknown register", STEP("{'op': 'vmentry', 'l2': {'cr8': '0x0'}}"),
	 "t.json:1:127: /steps/0/l2/cr8: unknown key \"cr8\"; known keys: cr0 cr3 cr4 efer rflags "
	 "cpl pkru cs_l"},
	{"memslot_add without id",
	 STEP("{'op': 'memslot_add', 'gpa': '0x100000', 'size': '0x1000'}"),
	 "t.json:1:102: /steps/0: missing required key \"id\""},
	{"memslot_flags without flags", STEP("{'op': 'memslot_flags', 'id': 0}"),
	 "t.json:1:102: /steps/0: missing required key \"flags\""},
	{"memslot_delete with gpa", STEP("{'op': 'memslot_delete', 'id': 0, 'gpa': '0x0'}"),
	 "t.json:1:136: /steps/0/gpa: unknown key \"gpa\" for op \"memslot_delete\"; known keys: "
	 "op vcpu note insn expect as id"},
	{"expect not an object", STEP("{'op': 'smi', 'expect': []}"),
	 "t.json:1:126: /steps/0/expect: expected object, got array"},
	{"unknown expect key", EXPECT("{'faults': 'pf'}"),
	 "t.json:1:159: /steps/0/expect/faults: unknown key \"faults\"; known keys: fault "
	 "error_code cr2 exitinfo1 exitinfo2 qual gpa value page_size tlb_hit outcomes regs "
	 "tlb_entries mem entry trace ret remaining root_cache stats role shadow_pages spte "
	 "divergence"},
	{"unknown fault", EXPECT("{'fault': 'segv'}"),
	 "t.json:1:168: /steps/0/expect/fault: unknown fault \"segv\"; expected one of: none pf gp "
	 "ud ept_violation ept_misconfig npf"},
	{"error_code without fault", EXPECT("{'error_code': '0x0'}"),
	 "t.json:1:159: /steps/0/expect/error_code: \"error_code\" needs \"fault\": \"pf\""},
	{"error_code with fault npf", EXPECT("{'fault': 'npf', 'error_code': '0x0'}"),
	 "t.json:1:175: /steps/0/expect/error_code: \"error_code\" needs \"fault\": \"pf\""},
	{"gpa with fault npf", EXPECT("{'fault': 'npf', 'gpa': '0x0'}"),
	 "t.json:1:175: /steps/0/expect/gpa: \"gpa\" does not apply to fault \"npf\" (use "
	 "\"exitinfo2\")"},
	{"gpa with fault pf", EXPECT("{'fault': 'pf', 'gpa': '0x0'}"),
	 "t.json:1:174: /steps/0/expect/gpa: \"gpa\" does not apply to fault \"pf\""},
	{"qual with fault pf", EXPECT("{'fault': 'pf', 'qual': '0x0'}"),
	 "t.json:1:174: /steps/0/expect/qual: \"qual\" needs \"fault\": \"ept_violation\""},
	{"exitinfo2 with fault ept_violation",
	 EXPECT("{'fault': 'ept_violation', 'exitinfo2': '0x0'}"),
	 "t.json:1:185: /steps/0/expect/exitinfo2: \"exitinfo2\" needs \"fault\": \"npf\""},
	{"expect value on smi", STEP("{'op': 'smi', 'expect': {'value': '0x0'}}"),
	 "t.json:1:127: /steps/0/expect/value: \"value\" does not apply to op \"smi\" (only to: "
	 "access mem_read)"},
	{"expect fault on invlpg",
	 STEP("{'op': 'invlpg', 'va': '0x0', 'expect': {'fault': 'none'}}"),
	 "t.json:1:143: /steps/0/expect/fault: \"fault\" does not apply to op \"invlpg\" (only to: "
	 "set access invpcid rsm)"},
	{"expect value on a write access",
	 STEP("{'op': 'access', 'va': '0x0', 'kind': 'write', 'expect': {'value': '0x0'}}"),
	 "t.json:1:169: /steps/0/expect/value: \"value\" is the value read; this access writes"},
	{"expect value wider than the read",
	 STEP("{'op': 'mem_read', 'gpa': '0x0', 'size': 1, 'expect': {'value': '0x100'}}"),
	 "t.json:1:166: /steps/0/expect/value: value 0x100 does not fit in 1 byte"},
	{"unknown errno",
	 STEP("{'op': 'pre_fault', 'gpa': '0x0', 'size': '0x1000', 'expect': {'ret': 'ENOSPC'}}"),
	 "t.json:1:172: /steps/0/expect/ret: unknown errno name \"ENOSPC\"; expected one of: "
	 "EINVAL ENOENT EOPNOTSUPP EINTR EFAULT EIO"},
	{"ret 1", STEP("{'op': 'pre_fault', 'gpa': '0x0', 'size': '0x1000', 'expect': {'ret': 1}}"),
	 "t.json:1:172: /steps/0/expect/ret: expected 0 or an errno name (EINVAL ENOENT EOPNOTSUPP "
	 "EINTR EFAULT EIO)"},
	{"ret on access", EXPECT("{'ret': 0}"),
	 "t.json:1:159: /steps/0/expect/ret: \"ret\" does not apply to op \"access\" (only to: "
	 "pre_fault)"},
	{"trace item not a string", EXPECT("{'trace': ['a', 2]}"),
	 "t.json:1:174: /steps/0/expect/trace/1: expected string, got number"},
	{"stats value negative", EXPECT("{'stats': {'pf_fixed': -1}}"),
	 "t.json:1:181: /steps/0/expect/stats/pf_fixed: -1 is out of range 0..9007199254740992"},
	{"stats empty name", EXPECT("{'stats': {'': 1}}"),
	 "t.json:1:169: /steps/0/expect/stats/: names are 1..64 bytes long"},
	{"shadow_pages key not hex", EXPECT("{'shadow_pages': {'abc': 1}}"),
	 "t.json:1:176: /steps/0/expect/shadow_pages/abc: expected a role word in hex as the key, "
	 "got \"abc\""},
	{"shadow_pages role word twice", EXPECT("{'shadow_pages': {'0x1': 1, '0x01': 2}}"),
	 "t.json:1:186: /steps/0/expect/shadow_pages/0x01: role word 0x1 is listed twice"},
	{"role empty", EXPECT("{'role': {}}"),
	 "t.json:1:167: /steps/0/expect/role: role needs cpu_role or root_role"},
	{"role unknown key", EXPECT("{'role': {'mmu_role': '0x0'}}"),
	 "t.json:1:168: /steps/0/expect/role/mmu_role: unknown key \"mmu_role\"; known keys: "
	 "cpu_role root_role"},
	{"entry level beyond format",
	 EXPECT("{'entry': {'format': 'pae', 'root': '0x0', 'va': '0x0', 'level': 4, 'value': "
		"'0x0'}}"),
	 "t.json:1:223: /steps/0/expect/entry/level: level 4 is beyond format \"pae\" (levels "
	 "1..3)"},
	{"entry missing value",
	 EXPECT("{'entry': {'format': 'pae', 'root': '0x0', 'va': '0x0', 'level': 1}}"),
	 "t.json:1:168: /steps/0/expect/entry: missing required key \"value\""},
	{"regs unknown register", EXPECT("{'regs': {'cr8': '0x0'}}"),
	 "t.json:1:168: /steps/0/expect/regs/cr8: unknown key \"cr8\"; known keys: cr0 cr3 cr4 "
	 "efer rflags cpl pkru cs_l cr2"},
	{"regs cr2 as flags", EXPECT("{'regs': {'cr2': 'PE'}}"),
	 "t.json:1:175: /steps/0/expect/regs/cr2: \"PE\" is not a hex term (cr2 takes hex terms "
	 "such as 0x1000)"},
	{"page_size 8k", EXPECT("{'page_size': '8k'}"),
	 "t.json:1:172: /steps/0/expect/page_size: unknown page size \"8k\"; expected one of: 4k "
	 "2m 4m 1g"},
	{"outcomes 0", EXPECT("{'outcomes': 0}"),
	 "t.json:1:171: /steps/0/expect/outcomes: 0 is out of range 1..4294967295"},
	{"tlb_entries fraction", EXPECT("{'tlb_entries': 0.5}"),
	 "t.json:1:174: /steps/0/expect/tlb_entries: expected integer, got 0.5"},
	{"duplicate expect key", EXPECT("{'fault': 'pf', 'fault': 'gp'}"),
	 "t.json:1:174: /steps/0/expect/fault: duplicate key \"fault\""},
	{"mem unknown key", EXPECT("{'mem': {'gpa': '0x0', 'value': '0x0', 'len': 8}}"),
	 "t.json:1:197: /steps/0/expect/mem/len: unknown key \"len\"; known keys: gpa as size "
	 "value"},
	{"spte level 6", EXPECT("{'spte': {'va': '0x0', 'level': 6, 'value': '0x0'}}"),
	 "t.json:1:190: /steps/0/expect/spte/level: 6 is out of range 1..5"},
	{"root_cache maybe", EXPECT("{'root_cache': 'maybe'}"),
	 "t.json:1:173: /steps/0/expect/root_cache: unknown root_cache \"maybe\"; expected one of: "
	 "hit miss"},
	{"divergence on smi", STEP("{'op': 'smi', 'expect': {'divergence': true}}"),
	 "t.json:1:127: /steps/0/expect/divergence: \"divergence\" does not apply to op \"smi\" "
	 "(only to: access)"},
	{"remaining without size",
	 STEP("{'op': 'pre_fault', 'gpa': '0x0', 'size': '0x1000', 'expect': {'remaining': {'gpa': "
	      "'0x0'}}}"),
	 "t.json:1:178: /steps/0/expect/remaining: missing required key \"size\""},
};

/* Load @len bytes of @in (' turned into ") and check the refusal. */
static void check_refused(const char *what, const char *in, size_t len, int want_rc,
			  const char *want)
{
	static const struct scenario zero;
	struct scenario s;
	struct scn_error err;
	char *buf = malloc(len + 1), got[1024];
	int rc;

	assert_non_null(buf);
	for (size_t i = 0; i < len; i++)
		buf[i] = in[i] == '\'' ? '"' : in[i];
	buf[len] = 0;
	memset(&s, 0xa5, sizeof(s)); /* garbage in: the loader must zero it */
	rc = scn_load_buffer("t.json", buf, len, &s, &err);
	free(buf);
	if (rc != want_rc) {
		print_error("%s: want rc %d, got %d\n", what, want_rc, rc);
		if (!rc)
			scn_free(&s);
		fail();
	}
	scn_error_format(&err, got, sizeof(got));
	if (strcmp(want, got)) {
		print_error("%s:\n want \"%s\"\n got  \"%s\"\n", what, want, got);
		fail();
	}
	if (memcmp(&s, &zero, sizeof(s))) {
		print_error("%s: *out is not zeroed after the error\n", what);
		fail();
	}
}

static void test_malformed_inputs_are_refused_with_positioned_messages(void **state)
{
	(void)state;
	assert_true(MSC_ARRAY_SIZE(cases) >= 60);
	for (size_t i = 0; i < MSC_ARRAY_SIZE(cases); i++)
		check_refused(cases[i].name, cases[i].in, strlen(cases[i].in), MSC_EINVAL,
			      cases[i].want);
}

/* A growing text buffer for generated inputs. */
struct gen {
	char *p;
	size_t len, cap;
};

static void put(struct gen *g, const char *s)
{
	size_t n = strlen(s);

	if (g->len + n + 1 > g->cap) {
		g->cap = (g->len + n + 1) * 2;
		g->p = realloc(g->p, g->cap);
		assert_non_null(g->p);
	}
	memcpy(g->p + g->len, s, n + 1);
	g->len += n;
}

static void put_n(struct gen *g, const char *s, size_t n, const char *sep)
{
	for (size_t i = 0; i < n; i++) {
		if (i)
			put(g, sep);
		put(g, s);
	}
}

static void test_one_step_too_many_is_refused_at_that_step(void **state)
{
	struct gen g = {0};

	(void)state;
	put(&g, "{'version': 1, 'name': 'n', 'machine': {" MEMSLOTS "},\n'steps': [\n");
	put_n(&g, "{}", SCN_MAX_STEPS + 1, ",");
	put(&g, "]}");
	/* Line 3, after SCN_MAX_STEPS elements of "{}," (3 bytes each). */
	check_refused("steps", g.p, g.len, MSC_EINVAL,
		      "t.json:3:3000001: /steps/1000000: too many steps (at most 1000000)");
	free(g.p);
}

static void test_strings_longer_than_the_bound_are_refused(void **state)
{
	struct gen g = {0};

	(void)state;
	put(&g, "{'version': 1, 'name': '");
	put_n(&g, "x", SCN_MAX_STRING, "");
	put(&g, "', 'description': '");
	put_n(&g, "y", SCN_MAX_STRING + 1, "");
	put(&g, "'}");
	check_refused(
		"description", g.p, g.len, MSC_EINVAL,
		"t.json:1:4139: /description: string of 4097 bytes is too long (at most 4096)");
	free(g.p);
}

static void test_lists_longer_than_the_bound_are_refused(void **state)
{
	struct gen g = {0};

	(void)state;
	put(&g, HEAD "{'op': 'smi', 'expect': {'trace': [");
	put_n(&g, "'t'", SCN_MAX_LIST + 1, ",");
	put(&g, "]}}]}");
	check_refused("trace", g.p, g.len, MSC_EINVAL,
		      "t.json:1:136: /steps/0/expect/trace: too many entries: 65 (at most 64)");
	g.len = 0;
	put(&g, HEAD "{'op': 'smi', 'expect': {'stats': {");
	for (unsigned i = 0; i <= SCN_MAX_LIST; i++) {
		char kv[32];

		snprintf(kv, sizeof(kv), "%s'c%u': 1", i ? ", " : "", i);
		put(&g, kv);
	}
	put(&g, "}}}]}");
	check_refused("stats", g.p, g.len, MSC_EINVAL,
		      "t.json:1:136: /steps/0/expect/stats: too many entries: 65 (at most 64)");
	g.len = 0;
	put(&g, "{'version': 1, 'name': 'n', 'machine': {" MEMSLOTS "}, 'vcpus': [");
	put_n(&g, "{}", SCN_MAX_VCPUS + 1, ", ");
	put(&g, "], 'steps': []}");
	check_refused("vcpus", g.p, g.len, MSC_EINVAL,
		      "t.json:1:166: /vcpus/16: too many vCPUs (at most 16)");
	g.len = 0;
	put(&g, "{'version': 1, 'name': 'n', 'machine': {'memslots': [");
	for (unsigned i = 0; i <= SCN_MAX_SLOTS; i++) {
		char slot[80];

		snprintf(slot, sizeof(slot), "%s{'gpa': '0x%x', 'size': '0x1000'}", i ? ", " : "",
			 i << 12);
		put(&g, slot);
	}
	put(&g, "]}, 'steps': []}");
	check_refused("memslots", g.p, g.len, MSC_EINVAL,
		      "t.json:1:2467: /machine/memslots/64: more than 64 memslots in address "
		      "space 0");
	free(g.p);
}

static void test_nesting_deeper_than_cjson_allows_is_a_syntax_error(void **state)
{
	struct gen g = {0};

	(void)state;
	put(&g, "{'version': 1, 'x': ");
	put_n(&g, "[", 1001, "");
	put_n(&g, "]", 1001, "");
	put(&g, "}");
	check_refused("nesting", g.p, g.len, MSC_EINVAL,
		      "t.json:1:1020: invalid JSON: nesting deeper than 1000");
	free(g.p);
}

static void test_nul_bytes_and_oversize_buffers_are_refused(void **state)
{
	static const char nul[] = "{'version': 1,\n 'name': 'a\0b'}";
	char *big;

	(void)state;
	check_refused("NUL", nul, sizeof(nul) - 1, MSC_EINVAL,
		      "t.json:2:12: invalid JSON: NUL byte in the file");
	big = calloc(1, SCN_MAX_FILE_BYTES + 1);
	assert_non_null(big);
	check_refused("oversize", big, SCN_MAX_FILE_BYTES + 1, MSC_E2BIG,
		      "t.json: file of 67108865 bytes is larger than the 64 MiB bound");
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_malformed_inputs_are_refused_with_positioned_messages),
		cmocka_unit_test(test_one_step_too_many_is_refused_at_that_step),
		cmocka_unit_test(test_strings_longer_than_the_bound_are_refused),
		cmocka_unit_test(test_lists_longer_than_the_bound_are_refused),
		cmocka_unit_test(test_nesting_deeper_than_cjson_allows_is_a_syntax_error),
		cmocka_unit_test(test_nul_bytes_and_oversize_buffers_are_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
