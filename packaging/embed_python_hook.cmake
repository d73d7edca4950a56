# SPDX-License-Identifier: Apache-2.0
# Writes OUT, a C file holding profiles/python/sitecustomize.py (FILE) as a
# byte array: envlock writes it into the sandbox, so it needs no installed copy.
file(READ "${FILE}" hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(LENGTH "${hex}" hex_len)
math(EXPR len "${hex_len} / 2")
set(body "/* Generated from ${FILE} by packaging/embed_python_hook.cmake: do not edit. */\n")
string(APPEND body "#include \"sandbox/plan.h\"\n\n")
string(APPEND body "const char el__python_hook[] = { ${bytes} 0x00 };\n")
string(APPEND body "const size_t el__python_hook_len = ${len};\n")
file(WRITE "${OUT}.tmp" "${body}")
file(RENAME "${OUT}.tmp" "${OUT}")
