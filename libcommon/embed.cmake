# Writes the file IN as a C string constant NAME into OUT.
file(READ ${IN} content HEX)
string(LENGTH "${content}" len)
set(out "/* Generated from ${IN}; do not edit. */\nextern const char ${NAME}[];\nconst char ${NAME}[] = {")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${content}")
file(WRITE ${OUT} "${out}${bytes}0x00};\n")
