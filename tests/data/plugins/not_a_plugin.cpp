// A shared library without the plugin symbols.
extern "C" int some_function() { return 42; }
