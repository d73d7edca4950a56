# SPDX-License-Identifier: Apache-2.0
# Writes OUT, a C file holding FILE's bytes as the array SYMBOL (and
# SYMBOL_len): envlock writes it into the sandbox, so it needs no installed
# copy. HEADER is the header that declares the two.
file(READ "${FILE}" hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(LENGTH "${hex}" hex_len)
math(EXPR len "${hex_len} / 2")
set(body "/* Generated from ${FILE} by packaging/embed_binary.cmake: do not edit. */\n")
string(APPEND body "#include \"${HEADER}\"\n\n")
string(APPEND body "const unsigned char ${SYMBOL}[] = { ${bytes} 0x00 };\n")
string(APPEND body "const size_t ${SYMBOL}_len = ${len};\n")
file(WRITE "${OUT}.tmp" "${body}")
file(RENAME "${OUT}.tmp" "${OUT}")
