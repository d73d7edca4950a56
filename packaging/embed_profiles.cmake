# SPDX-License-Identifier: Apache-2.0
# Writes OUT, a C file holding the shipped profiles (FILES, a list) as byte
# arrays, so that envlock finds them even when it is not installed.
set(body "/* Generated from profiles/ by packaging/embed_profiles.cmake: do not edit. */\n")
string(APPEND body "#include \"policy/builtin.h\"\n\n")
set(table "")
set(i 0)
foreach(file IN LISTS FILES)
  get_filename_component(name "${file}" NAME)
  file(READ "${file}" hex HEX)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  string(APPEND body "static const char profile_${i}[] = { ${bytes} 0x00 };\n")
  string(APPEND table "\t{ \"${name}\", profile_${i}, sizeof(profile_${i}) - 1 },\n")
  math(EXPR i "${i} + 1")
endforeach()
string(APPEND body "\nconst struct el__builtin_profile el__builtin_profiles[] = {\n${table}\t{ 0, 0, 0 },\n};\n")
file(WRITE "${OUT}.tmp" "${body}")
file(RENAME "${OUT}.tmp" "${OUT}")
