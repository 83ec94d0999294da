#!/usr/bin/env bash
# The images of packaging/docker/, without a container engine (CI has none). This script
# reads the Dockerfiles (Dockerfile, example/Dockerfile, my_init/Dockerfile, and a
# FROM scratch user image of its own below), assembles the root filesystem each one
# describes, and boots it as a container would: PID 1 of a fresh PID and mount namespace,
# chrooted, with /proc and a small /dev, a clean environment, and a seccomp filter that
# refuses io_uring_setup with EPERM as Docker's default profile does (no_io_uring). Then,
# as `docker exec` would, it runs `svctl wait` inside, sends SIGTERM from outside as
# `docker stop` does, and checks the exit status and the log: svinit fell back to epoll,
# the services came up and were stopped.
#
# How the Dockerfiles become roots:
#   FROM debian:12    an overlay whose lower layer is the host's / (this CI's host is
#                     Debian 12) and whose upper layer is a tmpfs of the private mount
#                     namespace: nothing is written to the host
#   FROM scratch      an empty tmpfs
#   FROM X AS svinit  packaging/docker/Dockerfile's last stage, for COPY --from=svinit
#   FROM X AS build   the builder stage, not run: COPY --from=build /build/bin/NAME takes
#                     BIN_DIR/NAME, the static build this test belongs to
#   COPY, RUN (in the root, with its /bin/sh), ENV, ENTRYPOINT, CMD (JSON arrays) as
#   Docker does them; ARG, HEALTHCHECK, LABEL, EXPOSE, STOPSIGNAL are ignored; anything
#   else fails, so the Dockerfiles cannot grow a step this script silently skips.
#
#   packaging/docker/test-roots.sh BIN_DIR NO_IO_URING PROBE
# BIN_DIR holds the static svinit and svctl, NO_IO_URING is the seccomp helper
# (no_io_uring.c), PROBE the static service program of tests/static/probe.c.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
# The PATH Docker gives a container, and debian:12's ENV.
default_path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

fail() { echo "test-roots: FAIL: $*" >&2; exit 1; }

# ---- assembling a root from a Dockerfile (runs inside the private mount namespace) ----

# Sets `words` to the strings of a JSON array of plain strings: ["a", "b"].
parse_json_array() {
    local text=$1
    words=()
    [[ $text =~ ^\[(.*)\]$ ]] || fail "not a JSON array: $text"
    text=${BASH_REMATCH[1]}
    while [[ $text =~ ^[[:space:]]*\"([^\"\\]*)\"[[:space:]]*(,(.*))?$ ]]; do
        words+=("${BASH_REMATCH[1]}")
        text=${BASH_REMATCH[3]}
    done
    [[ -z ${text//[[:space:]]/} ]] || fail "cannot read this JSON array: $1"
}

# Fails unless PATH (a directory or file in ROOT) stays inside ROOT once symlinks are
# followed: an absolute symlink in the image must not make a COPY write to the host.
inside_root() {  # ROOT PATH
    local real
    real=$(readlink -m "$2")
    [[ $real == "$1" || $real == "$1"/* ]] || fail "COPY to $2 would leave the root ($real)"
}

start_root() {  # IMAGE ROOT
    case $1 in
        scratch)
            mount -t tmpfs -o mode=0755 scratch "$2" ;;
        debian:12)
            mkdir -p "$ns/upper" "$ns/overlay-work"
            mount -t overlay overlay \
                -o "lowerdir=/,upperdir=$ns/upper,workdir=$ns/overlay-work" "$2"
            # debian:12 has no /etc/service; the host has runit's. Removing it in the
            # overlay only hides it (a whiteout in the upper layer).
            rm -rf "$2/etc/service" ;;
        *) fail "$dockerfile: FROM $1: only debian:12 and scratch are emulated" ;;
    esac
}

copy_step() {  # ROOT ARGS...: COPY [--from=STAGE] SRC... DEST
    local root=$1 from=''
    shift
    if [[ $1 == --from=* ]]; then from=${1#--from=}; shift; fi
    (($# >= 2)) || fail "$dockerfile: COPY needs a source and a destination"
    local dest=${!#} src path
    local -a sources=("${@:1:$#-1}")
    if [[ $dest == */ || ${#sources[@]} -gt 1 ]]; then
        mkdir -p "$root$dest"
        inside_root "$root" "$root$dest"
    else
        mkdir -p "$(dirname "$root$dest")"
        inside_root "$root" "$(dirname "$root$dest")"
    fi
    for src in "${sources[@]}"; do
        case $from in
            '') path=$context/$src ;;
            svinit) path=$ns/svinit$src ;;
            build)
                [[ $src == /build/bin/* ]] || fail "$dockerfile: COPY --from=build $src: only /build/bin/"
                path=$bin/${src#/build/bin/} ;;
            *) fail "$dockerfile: COPY --from=$from: unknown stage" ;;
        esac
        [[ -e $path ]] || fail "$dockerfile: COPY $src: $path does not exist"
        # A directory's contents, as Docker copies them; a file into DEST/ or as DEST.
        if [[ -d $path ]]; then
            cp -a "$path/." "$root$dest/"
        else
            cp -a "$path" "$root$dest"
        fi
    done
}

# Builds the last stage of DOCKERFILE (its COPY sources relative to CONTEXT) in ROOT, and
# sets `image_argv` (ENTRYPOINT and CMD) and `image_env`.
assemble() {  # DOCKERFILE CONTEXT ROOT
    local dockerfile=$1 context=$2 root=$3
    local stage='' line instruction keyword rest
    local -a entrypoint=() cmd=() lines=()
    image_env=("PATH=$default_path")
    # One instruction per element: comments dropped, continuation lines joined.
    instruction=''
    while IFS= read -r line || [[ -n $line ]]; do
        [[ $line =~ ^[[:space:]]*# ]] && continue
        if [[ $line == *\\ ]]; then instruction+="${line%\\} "; continue; fi
        instruction+=$line
        [[ -n ${instruction//[[:space:]]/} ]] && lines+=("$instruction")
        instruction=''
    done <"$dockerfile"
    for instruction in "${lines[@]}"; do
        keyword=${instruction%%[[:space:]]*}
        rest=${instruction#"$keyword"}
        rest=${rest#"${rest%%[![:space:]]*}"}
        if [[ $keyword == FROM ]]; then
            local -a from
            read -ra from <<<"$rest"
            if [[ ${from[2]-} == svinit || ${from[2]-} == build ]]; then
                stage=${from[2]}   # provided by this script, not built (see the top)
            else
                stage=final
                start_root "${from[0]}" "$root"
            fi
            continue
        fi
        case $stage in
            build) continue ;;
            svinit) fail "$dockerfile: the svinit stage is an alias; $keyword in it" ;;
            '') [[ $keyword == ARG ]] && continue; fail "$dockerfile: $keyword before FROM" ;;
        esac
        case $keyword in
            ARG | HEALTHCHECK | LABEL | EXPOSE | STOPSIGNAL) ;;
            COPY)
                local -a args
                read -ra args <<<"$rest"
                copy_step "$root" "${args[@]}" ;;
            RUN)
                chroot "$root" /usr/bin/env -i "${image_env[@]}" /bin/sh -c "$rest" ||
                    fail "$dockerfile: RUN $rest: failed" ;;
            ENV)
                [[ $rest =~ ^[A-Za-z_][A-Za-z0-9_]*=[^[:space:]]*$ ]] || fail "$dockerfile: ENV $rest: only NAME=VALUE"
                image_env+=("$rest") ;;
            ENTRYPOINT)
                parse_json_array "$rest"
                entrypoint=("${words[@]}")
                cmd=() ;;  # as Docker: a new ENTRYPOINT drops the CMD before it
            CMD)
                parse_json_array "$rest"
                cmd=("${words[@]}") ;;
            *) fail "$dockerfile: $keyword is not emulated; teach test-roots.sh" ;;
        esac
    done
    [[ $stage == final ]] || fail "$dockerfile: no last stage to boot"
    image_argv=("${entrypoint[@]}" "${cmd[@]}")
    ((${#image_argv[@]} > 0)) || fail "$dockerfile: neither ENTRYPOINT nor CMD"
}

# What a container runtime gives the root: /proc, a small /dev, and (on a Debian base)
# empty /run and /tmp, as debian:12 has them where the host's may hold something.
container_mounts() {  # ROOT IMAGE_BASE
    local root=$1 dev
    mkdir -p "$root/proc" "$root/dev" "$root/sys" "$root/etc"
    mount -t proc proc "$root/proc"
    mount -t tmpfs -o mode=0755,nosuid dev "$root/dev"
    for dev in null zero full random urandom; do
        touch "$root/dev/$dev"
        mount --bind "/dev/$dev" "$root/dev/$dev"
    done
    ln -s /proc/self/fd "$root/dev/fd"
    if [[ -x $root/bin/sh ]]; then
        mount -t tmpfs -o mode=0755 run "$root/run"
        mount -t tmpfs -o mode=1777 tmp "$root/tmp"
    fi
}

# The container itself: PID 1 of the namespaces unshare made.
inside() {  # WORK DOCKERFILE CONTEXT
    ns=$1/ns
    local root=$1/root
    mount -t tmpfs -o mode=0755 test-roots "$ns"
    mkdir -p "$ns/svinit"
    assemble "$here/Dockerfile" "$repo" "$ns/svinit"
    # The image users COPY --from holds the two programs and nothing else.
    local files
    files=$(cd "$ns/svinit" && find . ! -type d | sort | tr '\n' ' ')
    [[ $files == "./sbin/svinit ./usr/bin/svctl " ]] || fail "the svinit image holds: $files"
    assemble "$2" "$3" "$root"
    container_mounts "$root"
    exec "$no_io_uring" /usr/bin/env -i "${image_env[@]}" HOME=/root HOSTNAME=test-roots \
        /usr/sbin/chroot "$root" "${image_argv[@]}"
}

if [[ ${1-} == --inside ]]; then
    bin=$TEST_ROOTS_BIN no_io_uring=$TEST_ROOTS_NO_IO_URING
    inside "$2" "$3" "$4"
fi

# ---- the test (outside the namespaces) ----

bin=${1:?usage: test-roots.sh BIN_DIR NO_IO_URING PROBE}
no_io_uring=${2:?usage: test-roots.sh BIN_DIR NO_IO_URING PROBE}
probe=${3:?usage: test-roots.sh BIN_DIR NO_IO_URING PROBE}
TEST_ROOTS_BIN=$(cd "$bin" && pwd)
TEST_ROOTS_NO_IO_URING=$(realpath "$no_io_uring")
export TEST_ROOTS_BIN TEST_ROOTS_NO_IO_URING

if [[ $(id -u) -ne 0 ]] || ! unshare --pid --fork --mount true 2>/dev/null; then
    [[ ${CI-} == true ]] && fail "needs root and unshare (a skip is a failure under CI=true)"
    echo "test-roots: skipped: needs root and PID and mount namespaces"
    exit 77
fi

work=$(mktemp -d /tmp/svinit-test-roots.XXXXXX)
unshare_pid=''
cleanup() {
    [[ -n $unshare_pid ]] && kill -KILL "$unshare_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

# Reads the container's output, copying it to $log and to our stdout, until a line
# matches PATTERN (0) or the output ends (1). Without PATTERN: to the end (0). 60 seconds
# at most per line: a bound for a hung container, not a synchronisation.
read_until() {  # [PATTERN]
    local line status
    while true; do
        status=0
        IFS= read -r -t 60 line <&3 || status=$?
        ((status > 128)) && fail "$name: no output for 60 seconds"
        ((status != 0)) && [[ -z $line ]] && break
        printf '%s\n' "$line" >>"$log"
        printf '    | %s\n' "$line"
        [[ -n ${1-} && $line =~ $1 ]] && return 0
    done
    [[ -z ${1-} ]]
}

expect_line() {  # NAME PATTERN
    grep -Eq -- "$2" "$log" || fail "$1: no line matching '$2' in its output"
}

# Reads on until each PATTERN has matched a line (some may have come already).
await_lines() {  # PATTERN...
    local pattern
    for pattern in "$@"; do
        grep -Eq -- "$pattern" "$log" || read_until "$pattern" ||
            fail "$name: its output ended before a line matching '$pattern'"
    done
}

# Boots DOCKERFILE's image, reads its output up to a line matching LISTENING (printed
# once the control socket is open), runs `svctl wait WAIT` inside, reads on until the
# services have said they serve (SERVING: a pattern each; up means started, not that
# they have printed anything), stops it with SIGTERM from outside, and checks its exit
# status.
run_image() {  # NAME DOCKERFILE CONTEXT STATUS LISTENING "WAIT" SERVING...
    local name=$1 dockerfile=$2 context=$3 expected=$4 listening=$5
    local -a wait_args
    read -ra wait_args <<<"$6"
    shift 6
    echo "test-roots: $name ($dockerfile)"
    log=$work/$name.log
    : >"$log"
    mkdir -p "$work/ns" "$work/root"
    mkfifo "$work/$name.out"
    unshare --pid --fork --mount --kill-child -- "$0" --inside "$work" "$dockerfile" "$context" \
        >"$work/$name.out" 2>&1 &
    unshare_pid=$!
    exec 3<"$work/$name.out"

    await_lines "$listening"
    # PID 1 of the container is unshare's one child.
    local init_pid
    init_pid=$(</proc/$unshare_pid/task/$unshare_pid/children)
    init_pid=${init_pid// /}
    # As `docker exec CONTAINER svctl wait ...`: in the container's namespaces and root.
    nsenter --target "$init_pid" --mount --pid --root --wd -- \
        /usr/bin/svctl wait "${wait_args[@]}" --timeout 30 ||
        fail "$name: svctl wait ${wait_args[*]} failed"
    await_lines "$@"
    echo "test-roots: $name: svctl wait ${wait_args[*]} returned; sending SIGTERM (docker stop)"
    kill -TERM "$init_pid" || fail "$name: PID 1 is gone before SIGTERM"
    read_until
    exec 3<&-
    local status=0
    wait "$unshare_pid" || status=$?
    unshare_pid=''
    rm -rf "$work/ns" "$work/root" "$work/$name.out"
    [[ $status -eq $expected ]] || fail "$name: exited with $status, expected $expected"
}

# svinit's log names its event loop and why: under the seccomp filter, epoll.
fell_back='^svinit: event loop: epoll \(io_uring refused: io_uring_setup: Operation not permitted\)$'
# Logged before the services are loaded, but svinit answers no request before its loop
# runs, and it loads them before that: a `svctl wait` sent after this line finds them.
listening='^svinit: control: listening on /run/svinit/control.sock'

# 1. A user's FROM scratch image: the svinit image's two files, a static program of the
# user's own (the probe), a runit service running it. Nothing else: no libc, no shell.
scratch=$work/scratch-context
mkdir -p "$scratch/service/hello"
cp "$probe" "$scratch/probe"
ln -s /bin/probe "$scratch/service/hello/run"
cat >"$scratch/Dockerfile" <<'EOF'
FROM scratch
COPY --from=svinit /sbin/svinit /sbin/svinit
COPY --from=svinit /usr/bin/svctl /usr/bin/svctl
COPY probe /bin/probe
COPY service/ /etc/service/
ENTRYPOINT ["/sbin/svinit"]
EOF
run_image scratch "$scratch/Dockerfile" "$scratch" 0 "$listening" "up hello" \
    '^probe: hello serving$'
expect_line scratch "$fell_back"
expect_line scratch '^probe: hello got SIGTERM$'

# 2. The multi-service example: a TOML service with readiness and a runit directory.
run_image example "$here/example/Dockerfile" "$here/example" 0 "$listening" "ready web ticker" \
    '^web \| web: ready$' '^ticker \| ticker: started$'
expect_line example "$fell_back"
expect_line example '^web \| web: stopping$'

# 3. The baseimage-docker migration: my_init's start-up, environment and setuser; my_init
# exits 2 after SIGTERM, as baseimage-docker's does. As my_init, svinit prints only its
# `*** ` lines (its own info lines, the event loop's among them, are held back), and it
# loads the services only once the startup scripts are done, while its loop runs. So
# the sign that `svctl wait` will find the service is the service's own output, and the
# fallback shows in that svinit runs at all: under the filter io_uring cannot be set up.
run_image my_init "$here/my_init/Dockerfile" "$here/my_init" 2 \
    '^hello: Hello from my_init.d, as nobody$' "up hello" '^10_message: MESSAGE set$'

echo "test-roots: ok"
