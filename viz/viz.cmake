# SPDX-License-Identifier: MIT
# viz/: the SDL2 GUI and the headless PNG renderer (docs/gui.md). Included from
# CMakeLists.txt after the mmuscope target exists; SDL is used only in viz/.
pkg_check_modules(SDL2 REQUIRED IMPORTED_TARGET sdl2)
pkg_check_modules(SDL2_TTF REQUIRED IMPORTED_TARGET SDL2_ttf)
pkg_check_modules(SDL2_IMAGE REQUIRED IMPORTED_TARGET SDL2_image)

msc_library(msc_viz viz DEPS msc_sim msc_mmu msc_cpu)
target_link_libraries(msc_viz PUBLIC PkgConfig::SDL2 PkgConfig::SDL2_TTF PkgConfig::SDL2_IMAGE)
# cli/gui.c, cli/render.c and the viz tests build their bodies only with this.
target_compile_definitions(msc_viz PUBLIC MSC_HAVE_VIZ=1)
target_link_libraries(mmuscope PRIVATE msc_viz)

# The viz tests and bench are globbed by CMakeLists.txt (tests/unit/test_*.c,
# bench/bench_*.c); they need msc_viz too. Done at the end of the directory so
# the order of include() and the globbing loops does not matter.
function(msc_viz_late)
  foreach(t test_viz_layout test_viz_render bench_viz)
    if(TARGET ${t})
      target_link_libraries(${t} PRIVATE msc_viz)
    endif()
  endforeach()
  foreach(t test_viz_layout test_viz_render)
    if(TARGET ${t})
      set_tests_properties(${t} PROPERTIES LABELS viz)
    endif()
  endforeach()
endfunction()
cmake_language(DEFER DIRECTORY ${CMAKE_SOURCE_DIR} CALL msc_viz_late)

# The real window under Xvfb, driven by xdotool (77: xvfb-run or xdotool missing).
add_test(NAME viz_gui_xvfb COMMAND ${CMAKE_SOURCE_DIR}/tests/viz/run-gui-test.sh
         $<TARGET_FILE:mmuscope> ${CMAKE_SOURCE_DIR})
set_tests_properties(viz_gui_xvfb PROPERTIES LABELS viz SKIP_RETURN_CODE 77 TIMEOUT 120)
# docs/img/*.png are re-rendered by `mmuscope render` and compared byte for byte.
add_test(NAME viz_docs_images COMMAND ${CMAKE_SOURCE_DIR}/tests/viz/check-doc-images.sh
         $<TARGET_FILE:mmuscope> ${CMAKE_SOURCE_DIR})
set_tests_properties(viz_docs_images PROPERTIES LABELS viz)
# mmuscope render: bad input is a positioned error, exit 2, no file written.
add_test(NAME viz_render_cli COMMAND ${CMAKE_SOURCE_DIR}/tests/viz/run-render-tests.sh
         $<TARGET_FILE:mmuscope> ${CMAKE_SOURCE_DIR})
set_tests_properties(viz_render_cli PROPERTIES LABELS viz)
