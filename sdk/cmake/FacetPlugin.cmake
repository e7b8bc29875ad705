# facet_add_plugin(<name> SOURCES ... [SHADERS ...])
#
# Builds a Facet plugin: a shared library exporting facet_plugin_entry, with its own GLSL
# shaders compiled and embedded (kernel names "<name>/<shader stem>", table <name>_kernels).
include_guard(GLOBAL)

function(facet_add_plugin name)
  cmake_parse_arguments(ARG "" "" "SOURCES;SHADERS" ${ARGN})
  add_library(${name} MODULE ${ARG_SOURCES})
  set_target_properties(${name} PROPERTIES PREFIX "" CXX_VISIBILITY_PRESET hidden
                        VISIBILITY_INLINES_HIDDEN ON)
  if(TARGET facet::sdk)
    target_link_libraries(${name} PRIVATE facet::sdk)
  else()
    target_link_libraries(${name} PRIVATE facet_sdk)
  endif()
  if(ARG_SHADERS)
    facet_add_shaders(${name} PREFIX ${name} SHADERS ${ARG_SHADERS})
  endif()
  if(DEFINED FACET_PLUGIN_OUTPUT_DIR)
    set_target_properties(${name} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${FACET_PLUGIN_OUTPUT_DIR})
  endif()
endfunction()
