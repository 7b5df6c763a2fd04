# proto/openapi_split.cmake: one service's part of proto/openapi.yaml.
#
#   cmake -DIN=proto/openapi.yaml -DSERVICE=intake -DOUT=intake.yaml
#         [-DC_OUT=intake_openapi.c] -P proto/openapi_split.cmake
#
# Writes OUT: the document with only SERVICE's `servers` entry (the one
# whose `x-service` names it), SERVICE's and `ops`'s tags, the paths whose
# operations are tagged SERVICE or `ops`, and the components those paths
# use (following $ref from component to component; securitySchemes are
# always kept). info's title gains the service's name. With C_OUT, also
# writes that C file defining `const char sn_openapi_document[] = "...";`
# (sn/service.h) with OUT's text.
#
# Line-oriented, so it needs neither node nor Python at build time; it
# relies on the layout described at the top of proto/openapi.yaml and
# stops with FATAL_ERROR (naming the line or path) where the file leaves
# that layout. deploy/local/contract lints every part with redocly.

cmake_minimum_required(VERSION 3.25)

foreach(v IN ITEMS IN SERVICE OUT)
	if(NOT DEFINED ${v} OR "${${v}}" STREQUAL "")
		message(FATAL_ERROR "openapi_split: -D${v}=... is required")
	endif()
endforeach()

file(READ "${IN}" text)
# CMake lists split on ';' and treat '[' ']' and '\' specially: hide them
# while the text is a list of lines, give them back when writing.
string(REPLACE "\\" "@SN_BS@" text "${text}")
string(REPLACE ";" "@SN_SC@" text "${text}")
string(REPLACE "[" "@SN_LB@" text "${text}")
string(REPLACE "]" "@SN_RB@" text "${text}")
string(REGEX REPLACE "\n$" "" text "${text}")
string(REPLACE "\n" ";" lines "${text}")

set(section "")
set(out_head "")      # openapi, info, servers, security, tags
set(out_paths "")
set(blk "")           # the entry (server, tag, path) being read
set(blk_keep FALSE)
set(blk_name "")
set(found_server FALSE)
set(found_tag FALSE)
set(npaths 0)
set(kinds "")         # component kinds in file order
set(kind "")
set(comp "")          # the component being read: KIND/NAME
set(lineno 0)

# Ends the entry in blk: appends it where it belongs if kept.
macro(flush_entry)
	if(NOT blk STREQUAL "")
		if(section STREQUAL "paths")
			# The tags of the path's operations: the line after each
			# "      tags:".
			string(REGEX MATCHALL "\n      tags:\n        - [^\n]*" tl "${blk}")
			set(ptags "")
			foreach(t IN LISTS tl)
				string(REGEX REPLACE ".*- " "" t "${t}")
				list(APPEND ptags "${t}")
			endforeach()
			list(REMOVE_DUPLICATES ptags)
			list(LENGTH ptags nt)
			if(NOT nt EQUAL 1)
				message(FATAL_ERROR "openapi_split: path ${blk_name} has "
					"operations tagged '${ptags}': each path needs exactly "
					"one tag, its service's or ops, as `tags:` + `- NAME`")
			endif()
			if(ptags STREQUAL SERVICE OR ptags STREQUAL "ops")
				string(APPEND out_paths "${blk}")
				math(EXPR npaths "${npaths} + 1")
			endif()
		elseif(section STREQUAL "servers")
			if(blk MATCHES "\n    x-service: ${SERVICE}\n")
				string(APPEND out_head "${blk}")
				set(found_server TRUE)
			endif()
		elseif(blk_keep)
			string(APPEND out_head "${blk}")
		endif()
	endif()
	set(blk "")
	set(blk_keep FALSE)
endmacro()

macro(flush_component)
	if(NOT comp STREQUAL "")
		set("C_${comp}" "${blk}")
	endif()
	set(comp "")
	set(blk "")
endmacro()

foreach(line IN LISTS lines)
	math(EXPR lineno "${lineno} + 1")
	if(line MATCHES "^#" OR (line STREQUAL "" AND section STREQUAL ""))
		continue()
	endif()
	# A top-level key starts a section.
	if(line MATCHES "^([a-zA-Z]+):")
		set(key "${CMAKE_MATCH_1}")
		if(section STREQUAL "components")
			flush_component()
		else()
			flush_entry()
		endif()
		set(section "${key}")
		if(section STREQUAL "components")
			continue()
		elseif(section STREQUAL "paths")
			continue()
		endif()
		string(APPEND out_head "${line}\n")
		continue()
	elseif(NOT line STREQUAL "" AND NOT line MATCHES "^ ")
		message(FATAL_ERROR "openapi_split: ${IN}:${lineno}: unexpected "
			"line outside any top-level key: ${line}")
	endif()

	if(section STREQUAL "openapi" OR section STREQUAL "security")
		string(APPEND out_head "${line}\n")
	elseif(section STREQUAL "info")
		if(line MATCHES "^  title: (.*)$")
			set(line "  title: ${CMAKE_MATCH_1} (${SERVICE})")
		endif()
		string(APPEND out_head "${line}\n")
	elseif(section STREQUAL "servers")
		if(line MATCHES "^  - ")
			flush_entry()
		endif()
		string(APPEND blk "${line}\n")
	elseif(section STREQUAL "tags")
		if(line MATCHES "^  - name: (.*)$")
			set(key "${CMAKE_MATCH_1}")
			flush_entry()
			if(key STREQUAL SERVICE OR key STREQUAL "ops")
				set(blk_keep TRUE)
				if(key STREQUAL SERVICE)
					set(found_tag TRUE)
				endif()
			endif()
		endif()
		string(APPEND blk "${line}\n")
	elseif(section STREQUAL "paths")
		if(line MATCHES "^  (/[^:]*):$")
			set(key "${CMAKE_MATCH_1}")
			flush_entry()
			set(blk_name "${key}")
		elseif(blk STREQUAL "" AND NOT line STREQUAL "")
			message(FATAL_ERROR "openapi_split: ${IN}:${lineno}: expected "
				"a path (two spaces, then /...:), got: ${line}")
		endif()
		string(APPEND blk "${line}\n")
	elseif(section STREQUAL "components")
		if(line MATCHES "^  ([a-zA-Z]+):$")
			set(key "${CMAKE_MATCH_1}")
			flush_component()
			set(kind "${key}")
			list(APPEND kinds "${kind}")
			set("K_${kind}" "")
		elseif(line MATCHES "^    ([A-Za-z0-9_.-]+):")
			set(key "${CMAKE_MATCH_1}")
			flush_component()
			if(kind STREQUAL "")
				message(FATAL_ERROR "openapi_split: ${IN}:${lineno}: a "
					"component outside components' kinds")
			endif()
			set(comp "${kind}/${key}")
			list(APPEND "K_${kind}" "${key}")
			string(APPEND blk "${line}\n")
		else()
			if(comp STREQUAL "" AND NOT line STREQUAL "")
				message(FATAL_ERROR "openapi_split: ${IN}:${lineno}: "
					"unexpected line in components: ${line}")
			endif()
			string(APPEND blk "${line}\n")
		endif()
	else()
		message(FATAL_ERROR "openapi_split: ${IN}:${lineno}: unknown "
			"top-level key '${section}'")
	endif()
endforeach()
if(section STREQUAL "components")
	flush_component()
else()
	flush_entry()
endif()

if(NOT found_server)
	message(FATAL_ERROR "openapi_split: ${IN} has no servers entry with "
		"`x-service: ${SERVICE}`")
endif()
if(NOT found_tag)
	message(FATAL_ERROR "openapi_split: ${IN} has no tag `${SERVICE}`")
endif()
if(npaths EQUAL 0)
	message(FATAL_ERROR "openapi_split: ${IN} has no path tagged "
		"`${SERVICE}` or `ops`")
endif()

# The components the kept paths use, following $ref to a fixed point.
set(needed "")
set(todo "")
string(REGEX MATCHALL "#/components/[A-Za-z]+/[A-Za-z0-9_.-]+" refs "${out_paths}")
list(APPEND todo ${refs})
while(todo)
	list(POP_FRONT todo r)
	string(REPLACE "#/components/" "" r "${r}")
	if(r IN_LIST needed)
		continue()
	endif()
	if(NOT DEFINED "C_${r}")
		message(FATAL_ERROR "openapi_split: ${IN}: $ref to #/components/${r}, "
			"which is not defined")
	endif()
	list(APPEND needed "${r}")
	string(REGEX MATCHALL "#/components/[A-Za-z]+/[A-Za-z0-9_.-]+" refs "${C_${r}}")
	list(APPEND todo ${refs})
endwhile()

set(out_comp "")
foreach(k IN LISTS kinds)
	set(part "")
	foreach(n IN LISTS "K_${k}")
		if(k STREQUAL "securitySchemes" OR "${k}/${n}" IN_LIST needed)
			string(APPEND part "${C_${k}/${n}}")
		endif()
	endforeach()
	if(NOT part STREQUAL "")
		string(APPEND out_comp "  ${k}:\n${part}")
	endif()
endforeach()

set(doc "# ${SERVICE}'s part of proto/openapi.yaml, served at GET /openapi.yaml.\n")
string(APPEND doc "# Generated by proto/openapi_split.cmake; do not edit.\n")
string(APPEND doc "${out_head}paths:\n${out_paths}")
if(NOT out_comp STREQUAL "")
	string(APPEND doc "components:\n${out_comp}")
endif()
string(REPLACE "@SN_RB@" "]" doc "${doc}")
string(REPLACE "@SN_LB@" "[" doc "${doc}")
string(REPLACE "@SN_SC@" ";" doc "${doc}")
string(REPLACE "@SN_BS@" "\\" doc "${doc}")
file(WRITE "${OUT}" "${doc}")

if(DEFINED C_OUT AND NOT C_OUT STREQUAL "")
	# One string literal, a source line per YAML line. UTF-8 stays as it
	# is; '?' is escaped against trigraphs (-std=c11).
	set(c "${doc}")
	string(REPLACE "\\" "\\\\" c "${c}")
	string(REPLACE "\"" "\\\"" c "${c}")
	string(REPLACE "?" "\\?" c "${c}")
	string(REGEX REPLACE "\n$" "" c "${c}")
	string(REPLACE "\n" "\\n\"\n\t\"" c "${c}")
	file(WRITE "${C_OUT}"
		"/* ${SERVICE}'s part of proto/openapi.yaml: generated by\n"
		" * proto/openapi_split.cmake (sn_openapi_embed); do not edit. */\n"
		"#pragma GCC diagnostic ignored \"-Woverlength-strings\"\n\n"
		"extern const char sn_openapi_document[];\n"
		"const char sn_openapi_document[] =\n\t\"${c}\\n\";\n")
endif()
