# Writes web/templates/* and web/static/* into a C++ source, so the binary
# carries its pages and serves them with no files beside it. Run by the build
# with -DSRC_DIR= -DOUT=.
file(GLOB assets RELATIVE "${SRC_DIR}/web" "${SRC_DIR}/web/templates/*" "${SRC_DIR}/web/static/*")
list(SORT assets)
set(body "// Generated from web/ by web/embed.cmake.\n#include \"server/web_assets.hh\"\n\nnamespace cwf::server {\n\nconst std::map<std::string_view, std::string_view>& web_assets() {\n  static const std::map<std::string_view, std::string_view> assets = {\n")
foreach(a IN LISTS assets)
  file(READ "${SRC_DIR}/web/${a}" text)
  string(FIND "${text}" ")cwfweb\"" clash)
  if(NOT clash EQUAL -1)
    message(FATAL_ERROR "web/${a} holds the embedding's delimiter )cwfweb\"")
  endif()
  string(APPEND body "      {\"${a}\", R\"cwfweb(${text})cwfweb\"},\n")
endforeach()
string(APPEND body "  };\n  return assets;\n}\n\n}  // namespace cwf::server\n")
file(WRITE "${OUT}.tmp" "${body}")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
