#ifndef TURING_CLIBPQ_SHIM_H
#define TURING_CLIBPQ_SHIM_H
#include <libpq-fe.h>
#endif
