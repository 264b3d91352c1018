# Writes lmdb.pc at install time, so that its prefix is the one the tree is
# installed under (cmake --install --prefix P, or CMAKE_INSTALL_PREFIX).
# Variables: SRC (the template), DST (the file to write), LIBDIR, INCLUDEDIR
# (relative to the prefix, or absolute), PREFIX, PROJECT_VERSION.
foreach(v SRC DST LIBDIR INCLUDEDIR PREFIX PROJECT_VERSION)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "pkgconfig.cmake: ${v} is not set")
  endif()
endforeach()
set(PC_PREFIX "${PREFIX}")
foreach(kind LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${${kind}}")
    set(PC_${kind} "${${kind}}")
  else()
    set(PC_${kind} "\${prefix}/${${kind}}")
  endif()
endforeach()
configure_file("${SRC}" "${DST}" @ONLY)
