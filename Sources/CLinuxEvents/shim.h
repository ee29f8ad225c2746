/* Linux readiness APIs that Swift's Glibc module does not export: epoll for the libcurl socket
 * driver, eventfd to wake its thread. Declarations only. */
#include <sys/epoll.h>
#include <sys/eventfd.h>
