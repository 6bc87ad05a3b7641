# Writes the migrations in schema/migrations/ into a C++ source, in order, so
# the binary carries its schema. Run by the build with -DSRC_DIR= -DOUT=.
file(GLOB migrations "${SRC_DIR}/schema/migrations/*.sql")
list(SORT migrations)
set(body "// Generated from schema/migrations/ by schema/embed.cmake.\n#include \"store/migrations.hh\"\n\nnamespace cwf::store {\n\nconst std::vector<Migration>& migrations() {\n  static const std::vector<Migration> list = {\n")
foreach(m IN LISTS migrations)
  get_filename_component(name "${m}" NAME)
  file(READ "${m}" sql)
  string(APPEND body "      {\"${name}\", R\"cwfsql(${sql})cwfsql\"},\n")
endforeach()
string(APPEND body "  };\n  return list;\n}\n\n}  // namespace cwf::store\n")
file(WRITE "${OUT}.tmp" "${body}")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
