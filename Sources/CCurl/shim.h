/*
 * Non-variadic wrappers for libcurl's variadic entry points, which Swift cannot call.
 * Each wrapper fixes the type of the third argument, so Swift's type checker sees exactly
 * what libcurl's documentation says that option takes. Nothing else lives here.
 */
#ifndef CHECKOUT_GATEWAY_CURL_SHIM_H
#define CHECKOUT_GATEWAY_CURL_SHIM_H

#include <curl/curl.h>

typedef size_t (*cg_curl_data_callback)(char *data, size_t size, size_t count, void *userdata);

static inline CURLcode cg_easy_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode cg_easy_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode cg_easy_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode cg_easy_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode cg_easy_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode cg_easy_setopt_data_callback(CURL *handle, CURLoption option, cg_curl_data_callback value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode cg_easy_setopt_prereq_function(CURL *handle, curl_prereq_callback value) {
    return curl_easy_setopt(handle, CURLOPT_PREREQFUNCTION, value);
}

typedef int (*cg_curl_xferinfo_callback)(void *clientp, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow);

static inline CURLcode cg_easy_setopt_xferinfo_function(CURL *handle, cg_curl_xferinfo_callback value) {
    return curl_easy_setopt(handle, CURLOPT_XFERINFOFUNCTION, value);
}

typedef int (*cg_curl_closesocket_callback)(void *clientp, curl_socket_t socket);

static inline CURLcode cg_easy_setopt_closesocket_function(CURL *handle, cg_curl_closesocket_callback value) {
    return curl_easy_setopt(handle, CURLOPT_CLOSESOCKETFUNCTION, value);
}

static inline CURLcode cg_easy_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}

static inline CURLcode cg_easy_getinfo_pointer(CURL *handle, CURLINFO info, void **value) {
    return curl_easy_getinfo(handle, info, value);
}

static inline CURLcode cg_easy_getinfo_off_t(CURL *handle, CURLINFO info, curl_off_t *value) {
    return curl_easy_getinfo(handle, info, value);
}

static inline CURLMcode cg_multi_setopt_long(CURLM *handle, CURLMoption option, long value) {
    return curl_multi_setopt(handle, option, value);
}

static inline CURLMcode cg_multi_setopt_pointer(CURLM *handle, CURLMoption option, void *value) {
    return curl_multi_setopt(handle, option, value);
}

typedef int (*cg_curl_socket_callback)(CURL *easy, curl_socket_t socket, int what, void *userp, void *socketp);
typedef int (*cg_curl_timer_callback)(CURLM *multi, long timeout_ms, void *userp);

static inline CURLMcode cg_multi_setopt_socket_function(CURLM *handle, cg_curl_socket_callback value) {
    return curl_multi_setopt(handle, CURLMOPT_SOCKETFUNCTION, value);
}

static inline CURLMcode cg_multi_setopt_timer_function(CURLM *handle, cg_curl_timer_callback value) {
    return curl_multi_setopt(handle, CURLMOPT_TIMERFUNCTION, value);
}

#endif
