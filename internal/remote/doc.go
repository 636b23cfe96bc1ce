// Package remote is the one seam through which the firewalld and fail2ban
// checks read the mail host: run a command, read a set of files, dial a unix
// socket. Local runs these on this machine; the SSH implementation (the only
// user of golang.org/x/crypto/ssh in the suite) runs them on the mail host
// over one SSH connection. A check never knows which one it has, so a local
// and a remote run reach the same verdict from the same facts.
package remote
