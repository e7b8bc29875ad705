// The typed errors live in the public host headers (facet/error.hpp): the library throws what the
// CLI maps to exit codes.
#pragma once

#include <facet/error.hpp>
