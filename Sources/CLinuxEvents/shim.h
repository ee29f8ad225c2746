/* Linux APIs that Swift's Glibc module does not export: epoll and eventfd for the workers'
 * event loops, accept4. Declarations only. */
#include <sys/epoll.h>
#include <sys/eventfd.h>

/* accept4 (non-blocking, close-on-exec sockets in one call) is a GNU extension that Swift's
 * Glibc module leaves out. */
#include <sys/socket.h>
extern int accept4(int sockfd, struct sockaddr *addr, socklen_t *addrlen, int flags);
