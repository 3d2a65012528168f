# Warnings and sanitizers apply to every target of the project (not to third-party headers).
add_compile_options(-Wall -Wextra -Wpedantic -Wno-missing-field-initializers)
if(OTASIM_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
