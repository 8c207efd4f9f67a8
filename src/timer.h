/* timer: arm a libevent timer in milliseconds, the unit of every duration we keep. */
#ifndef ZKELECT_TIMER_H
#define ZKELECT_TIMER_H

#include <stdint.h>

struct event;

/* (Re)arm EV to fire MS milliseconds from now (0: at the next loop turn). */
void timer_after(struct event *ev, int64_t ms);

#endif
