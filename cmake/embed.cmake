# bb_embed(<out_var> <symbol> <root_dir> <files>): compiles files into a C++ table
#   bb::embedded::<symbol>() -> std::span<const EmbeddedFile> {path relative to root, bytes}.
function(bb_embed out_var symbol root files)
  set(out ${CMAKE_BINARY_DIR}/embedded_${symbol}.cpp)
  set(list_file ${CMAKE_BINARY_DIR}/embedded_${symbol}.list)
  file(CONFIGURE OUTPUT ${list_file} CONTENT "${files}")
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DOUT=${out} -DSYMBOL=${symbol} -DROOT=${root} -DLIST_FILE=${list_file}
            -P ${CMAKE_SOURCE_DIR}/cmake/embed_generate.cmake
    DEPENDS ${files} ${list_file} ${CMAKE_SOURCE_DIR}/cmake/embed_generate.cmake
    COMMENT "Embedding ${symbol}")
  set(${out_var} ${out} PARENT_SCOPE)
endfunction()
