/* asm_socket: socket(AF_INET, SOCK_STREAM, 0) by a raw `syscall`. */
long asm_socket(long domain)
{
    long ret;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(41L), "D"(domain), "S"(1L), "d"(0L)
                     : "rcx", "r11", "memory");
    return ret;
}
