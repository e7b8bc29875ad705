# facet_add_shaders(<target> PREFIX <name> SHADERS a.comp b.comp ... [INCLUDE_DIRS dirs...]
#                   [FP16_SHADERS c.comp ...])
#
# Compiles each GLSL compute shader with glslangValidator into SPIR-V at build time and embeds
# the words in a generated C++ source added to <target>. The source defines
#   extern "C" const facet_kernel_desc <PREFIX>_kernels[];  extern "C" const uint32_t <PREFIX>_kernel_count;
# with one entry per shader, named "<PREFIX>/<file stem>" (e.g. "core/add"). Data-type variants
# are separate files; everything else (tile sizes, subgroup size) is a specialization constant.
# Variants that need a device feature cannot be specialization constants (the SPIR-V declares the
# capability), so each of FP16_SHADERS is also compiled with FACET_FP16_ARITHMETIC defined, as the
# kernel "<PREFIX>/<file stem>_fp16" (core ops pick it where DeviceInfo::fp16_arithmetic is set;
# the plugin ABI has no device query yet, so facet_add_plugin does not pass this on).
# Included files are tracked through glslangValidator's depfile: editing one rebuilds every shader
# that includes it.
include_guard(GLOBAL)
set(_FACET_SHADERS_DIR ${CMAKE_CURRENT_LIST_DIR})

# One shader build of facet_add_shaders (a macro: appends to its headers and names).
macro(_facet_compile_shader src suffix defines)
  get_filename_component(abs ${src} ABSOLUTE)
  get_filename_component(stem ${src} NAME_WE)
  set(stem "${stem}${suffix}")
  string(MAKE_C_IDENTIFIER "${ARG_PREFIX}_${stem}" ident)
  set(header ${out_dir}/${stem}.spv.h)
  add_custom_command(
    OUTPUT ${header}
    COMMAND ${GLSLANG_VALIDATOR} -V --quiet --target-env vulkan1.2 ${include_flags} ${defines}
            --vn ${ident}_spirv --depfile ${header}.d -o ${header} ${abs}
    DEPENDS ${abs}
    DEPFILE ${header}.d
    COMMENT "GLSL ${ARG_PREFIX}/${stem}"
    VERBATIM)
  list(APPEND headers ${header})
  list(APPEND names "${stem}")
endmacro()

function(facet_add_shaders target)
  cmake_parse_arguments(ARG "" "PREFIX" "SHADERS;INCLUDE_DIRS;FP16_SHADERS" ${ARGN})
  if(NOT ARG_PREFIX)
    message(FATAL_ERROR "facet_add_shaders: PREFIX is required")
  endif()
  if(NOT GLSLANG_VALIDATOR)
    find_program(GLSLANG_VALIDATOR glslangValidator REQUIRED)
  endif()
  if(DEFINED FACET_SHADER_INCLUDE_DIR)
    list(APPEND ARG_INCLUDE_DIRS ${FACET_SHADER_INCLUDE_DIR})
  endif()
  set(include_flags "")
  foreach(dir ${ARG_INCLUDE_DIRS})
    list(APPEND include_flags "-I${dir}")
  endforeach()
  set(out_dir ${CMAKE_CURRENT_BINARY_DIR}/${ARG_PREFIX}_spirv)
  file(MAKE_DIRECTORY ${out_dir})
  set(headers "")
  set(names "")
  foreach(src ${ARG_SHADERS})
    _facet_compile_shader(${src} "" "")
  endforeach()
  foreach(src ${ARG_FP16_SHADERS})
    _facet_compile_shader(${src} "_fp16" "-DFACET_FP16_ARITHMETIC=1")
  endforeach()
  set(table ${out_dir}/${ARG_PREFIX}_kernels.cpp)
  add_custom_command(
    OUTPUT ${table}
    COMMAND ${CMAKE_COMMAND} -DPREFIX=${ARG_PREFIX} "-DNAMES=${names}" -DOUT=${table}
            -P ${_FACET_SHADERS_DIR}/FacetEmbedKernels.cmake
    DEPENDS ${headers} ${_FACET_SHADERS_DIR}/FacetEmbedKernels.cmake
    VERBATIM)
  target_sources(${target} PRIVATE ${table})
  target_include_directories(${target} PRIVATE ${out_dir})
endfunction()
