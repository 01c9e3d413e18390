# bash completion for aspen                                  -*- shell-script -*-
#
# Installed as share/bash-completion/completions/aspen (make install); to try
# it from a checkout: `. completions/aspen.bash`.
#
# Commands and each command's flags come from the aspen being completed
# (`aspen --help`, `aspen CMD --help`), so the completion always matches the
# binary, including commands added after this file was written. Values:
#   FILE arguments         *.yaml / *.yml files and directories
#   NAME arguments         topologies with state on this host (destroy,
#                          status, heal, fault): the directories of
#                          $ASPEN_STATE_DIR, else /var/lib/aspen
#   --format               the choices the usage line lists (dot|mermaid|svg)
#   --state-dir, --artifacts, -o   directories / files
#   run ... -- COMMAND     commands, then ordinary files

# The aspen the user is completing: the typed word when it runs, else PATH's.
_aspen_bin()
{
	local b=${COMP_WORDS[0]}
	[[ $b == */* && -x $b ]] || b=aspen
	printf '%s' "$b"
}

# Subcommand names, from the "Commands:" section of `aspen --help`.
_aspen_commands()
{
	"$(_aspen_bin)" --help 2>/dev/null |
		awk '/^Commands:/ {on = 1; next} on && /^  [a-z]/ {print $1} on && /^$/ {exit}'
}

# Flags of one command: those on its usage line and at the start of its
# option lines ("  -f, --format dot     description": the part before the
# description's column).
_aspen_flags()
{
	{
		"$(_aspen_bin)" "$1" --help 2>/dev/null |
			sed -nE 's/^usage: (.*)$/\1/p; s/^ +(-[^ ].*)$/\1/p' | sed -E 's/  +.*//' |
			grep -oE -- '(^|[[ ,])--?[a-zA-Z][a-z-]*' | tr -d '[ ,'
		printf '%s\n' --help --quiet --verbose --no-color
	} | sort -u
}

# The choices a usage line gives for an option: "--format dot|mermaid|svg".
_aspen_choices()
{
	"$(_aspen_bin)" "$1" --help 2>/dev/null | head -n 3 |
		grep -oE -- "$2 [a-z]+(\|[a-z]+)+" | head -n 1 | cut -d' ' -f2 | tr '|' ' '
}

# Topologies this host has state for.
_aspen_topologies()
{
	local root=${ASPEN_STATE_DIR:-/var/lib/aspen} d
	for d in "$root"/*/; do
		[[ -d $d ]] || continue
		d=${d%/}
		printf '%s\n' "${d##*/}"
	done
}

_aspen_yaml_files()
{
	local IFS=$'\n'
	COMPREPLY+=($(compgen -f -X '!*.@(yaml|yml)' -- "$cur") $(compgen -d -- "$cur"))
	compopt -o filenames 2>/dev/null
}

_aspen()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
	local cmd='' ci=0 i
	COMPREPLY=()
	# The command is the first word after aspen that is not an option.
	for ((i = 1; i < COMP_CWORD; i++)); do
		if [[ ${COMP_WORDS[i]} != -* ]]; then
			cmd=${COMP_WORDS[i]}
			ci=$i
			break
		fi
	done
	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W '--help --version --no-color --quiet --verbose' -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$(_aspen_commands)" -- "$cur"))
		fi
		return 0
	fi

	# aspen run FILE -- COMMAND...: after --, complete the command line.
	if [[ $cmd == run ]]; then
		for ((i = ci + 1; i < COMP_CWORD; i++)); do
			if [[ ${COMP_WORDS[i]} == -- ]]; then
				if ((COMP_CWORD == i + 1)); then
					COMPREPLY=($(compgen -c -- "$cur"))
				else
					local IFS=$'\n'
					COMPREPLY=($(compgen -f -- "$cur"))
					compopt -o filenames 2>/dev/null
				fi
				return 0
			fi
		done
	fi

	case $prev in
	--format | -f)
		COMPREPLY=($(compgen -W "$(_aspen_choices "$cmd" --format)" -- "$cur"))
		return 0
		;;
	--state-dir | --artifacts)
		local IFS=$'\n'
		COMPREPLY=($(compgen -d -- "$cur"))
		compopt -o filenames 2>/dev/null
		return 0
		;;
	--output | -o)
		local IFS=$'\n'
		COMPREPLY=($(compgen -f -- "$cur"))
		compopt -o filenames 2>/dev/null
		return 0
		;;
	--lock-timeout | --seed)
		return 0
		;;
	esac

	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$(_aspen_flags "$cmd")" -- "$cur"))
		return 0
	fi
	case $cmd in
	destroy | status | heal | fault)
		COMPREPLY=($(compgen -W "$(_aspen_topologies)" -- "$cur"))
		_aspen_yaml_files
		;;
	*)
		_aspen_yaml_files
		;;
	esac
	return 0
}

shopt -s extglob
complete -F _aspen aspen
