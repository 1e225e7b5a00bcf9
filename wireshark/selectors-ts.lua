-- selectors-ts.lua: a Wireshark dissector for the application protocol of the Real Python sockets course (the
-- app-client and app-server of selectors-ts, libclient.py and libserver.py in Python).
--
-- A frame, in both directions (lib/app/protocol.ts):
--   2 bytes   JSON header length, big-endian (struct ">H")
--   N bytes   JSON header, UTF-8: {"byteorder": ..., "content-type": ..., "content-encoding": ..., "content-length": L}
--   L bytes   content: JSON text in its content-encoding when content-type is text/json, else binary
--
-- Rules:
-- * Frames are found on the TCP port of the preference `course.port` (65432, the course's port), on any port given
--   with Decode As (`tshark -d tcp.port==N,course`), and by a heuristic on a segment that starts with a whole frame
--   header (a length, then a JSON object with the four keys): a stream split into smaller segments on another port
--   needs Decode As.
-- * A frame split over segments (even one byte per segment) is reassembled (pinfo.desegment_offset/len); several
--   frames in one segment are each shown.
-- * A malformed frame (header length 0, a header that is not a JSON object of the four keys, a content-length that
--   is not a non-negative integer) gets an expert note (group Malformed, severity Error); the rest of its segment is
--   shown as undecoded bytes, since the stream has lost its framing.
--
-- Use: tshark -X lua_script:selectors-ts.lua -r capture.pcap -V
--      wireshark -X lua_script:selectors-ts.lua capture.pcap   (or copy it to your personal Lua plugins folder)

local course = Proto("course", "Real Python sockets course application protocol (selectors-ts)")

local f = {
  header_length = ProtoField.uint16("course.header_length", "JSON header length", base.DEC),
  header = ProtoField.string("course.header", "JSON header", base.UNICODE),
  byteorder = ProtoField.string("course.byteorder", "byteorder"),
  content_type = ProtoField.string("course.content_type", "content-type"),
  content_encoding = ProtoField.string("course.content_encoding", "content-encoding"),
  content_length = ProtoField.uint32("course.content_length", "content-length", base.DEC),
  content_text = ProtoField.string("course.content_text", "Content (JSON text)", base.UNICODE),
  content = ProtoField.bytes("course.content", "Content (binary)"),
}
course.fields = { f.header_length, f.header, f.byteorder, f.content_type, f.content_encoding, f.content_length,
  f.content_text, f.content }

local malformed = ProtoExpert.new("course.malformed", "Malformed course frame", expert.group.MALFORMED,
  expert.severity.ERROR)
course.experts = { malformed }

course.prefs.port = Pref.uint("TCP port", 65432, "The TCP port the course's app-server listens on")

-- JSON: a small reader for the header, a flat object of strings, numbers, true, false, null (nested values are
-- skipped over). Returns the table, or nil and why.
local function skip_space(s, i)
  return s:find("[^ \t\r\n]", i) or #s + 1
end

local function read_string(s, i)
  -- s:sub(i, i) == '"'
  local out, j = {}, i + 1
  while j <= #s do
    local c = s:sub(j, j)
    if c == '"' then return table.concat(out), j + 1 end
    if c == "\\" then
      local e = s:sub(j + 1, j + 1)
      local simple = { ['"'] = '"', ["\\"] = "\\", ["/"] = "/", b = "\b", f = "\f", n = "\n", r = "\r", t = "\t" }
      if simple[e] then
        out[#out + 1] = simple[e]
        j = j + 2
      elseif e == "u" then
        local hex = s:sub(j + 2, j + 5)
        if not hex:match("^%x%x%x%x$") then return nil, "bad \\u escape" end
        out[#out + 1] = utf8 and utf8.char(tonumber(hex, 16)) or "?"
        j = j + 6
      else
        return nil, "bad escape"
      end
    else
      out[#out + 1] = c
      j = j + 1
    end
  end
  return nil, "unterminated string"
end

local function skip_value(s, i)
  local c = s:sub(i, i)
  if c == '"' then
    local _, j = read_string(s, i)
    return j
  end
  if c == "{" or c == "[" then
    local depth, j = 0, i
    while j <= #s do
      local d = s:sub(j, j)
      if d == '"' then
        local _, k = read_string(s, j)
        if not k then return nil end
        j = k
      else
        if d == "{" or d == "[" then depth = depth + 1 end
        if d == "}" or d == "]" then
          depth = depth - 1
          if depth == 0 then return j + 1 end
        end
        j = j + 1
      end
    end
    return nil
  end
  local token = s:match("^[%w%.%+%-]+", i)
  if not token then return nil end
  return i + #token
end

local function parse_header(s)
  local i = skip_space(s, 1)
  if s:sub(i, i) ~= "{" then return nil, "the JSON header is not an object" end
  local object = {}
  i = skip_space(s, i + 1)
  if s:sub(i, i) == "}" then return object end
  while true do
    if s:sub(i, i) ~= '"' then return nil, "the JSON header does not parse" end
    local key, j = read_string(s, i)
    if not key then return nil, "the JSON header does not parse" end
    i = skip_space(s, j)
    if s:sub(i, i) ~= ":" then return nil, "the JSON header does not parse" end
    i = skip_space(s, i + 1)
    local c = s:sub(i, i)
    if c == '"' then
      local value, k = read_string(s, i)
      if not value then return nil, "the JSON header does not parse" end
      object[key] = value
      i = k
    else
      local k = skip_value(s, i)
      if not k then return nil, "the JSON header does not parse" end
      local token = s:sub(i, k - 1)
      object[key] = tonumber(token) or token
      i = k
    end
    i = skip_space(s, i)
    c = s:sub(i, i)
    if c == "}" then
      if skip_space(s, i + 1) <= #s then return nil, "the JSON header does not parse" end
      return object
    end
    if c ~= "," then return nil, "the JSON header does not parse" end
    i = skip_space(s, i + 1)
  end
end

local REQUIRED = { "byteorder", "content-length", "content-type", "content-encoding" }

-- One frame at offset: returns its length, or -(bytes still missing), or nil and why when malformed.
local function frame_length(tvb, offset)
  local available = tvb:len() - offset
  if available < 2 then return -(2 - available) end
  local hdrlen = tvb(offset, 2):uint()
  if hdrlen == 0 then return nil, "JSON header length 0" end
  if available < 2 + hdrlen then return -(2 + hdrlen - available) end
  local header, why = parse_header(tvb(offset + 2, hdrlen):raw())
  if not header then return nil, why end
  for _, key in ipairs(REQUIRED) do
    if header[key] == nil then return nil, "Missing required header '" .. key .. "'." end
  end
  local length = header["content-length"]
  if type(length) ~= "number" or length < 0 or length % 1 ~= 0 then
    return nil, "content-length is not a non-negative integer"
  end
  local total = 2 + hdrlen + length
  if available < total then return -(total - available) end
  return total, header
end

local function show_frame(tvb, pinfo, tree, offset, total, header)
  local hdrlen = tvb(offset, 2):uint()
  local length = header["content-length"]
  local subtree = tree:add(course, tvb(offset, total))
  subtree:add(f.header_length, tvb(offset, 2))
  local header_tree = subtree:add(f.header, tvb(offset + 2, hdrlen), tvb(offset + 2, hdrlen):string(ENC_UTF_8))
  header_tree:add(f.byteorder, tvb(offset + 2, hdrlen), tostring(header["byteorder"]))
  header_tree:add(f.content_type, tvb(offset + 2, hdrlen), tostring(header["content-type"]))
  header_tree:add(f.content_encoding, tvb(offset + 2, hdrlen), tostring(header["content-encoding"]))
  header_tree:add(f.content_length, tvb(offset + 2, hdrlen), length)
  local summary = tostring(header["content-type"]) .. ", " .. length .. " bytes"
  if length > 0 then
    local content = tvb(offset + 2 + hdrlen, length)
    if header["content-type"] == "text/json" then
      local text = content:string(ENC_UTF_8)
      subtree:add(f.content_text, content, text)
      summary = text
    else
      subtree:add(f.content, content)
    end
  end
  subtree:append_text(": " .. summary)
  return summary
end

function course.dissector(tvb, pinfo, tree)
  local offset, frames = 0, {}
  while offset < tvb:len() do
    local total, header = frame_length(tvb, offset)
    if total == nil then
      local item = tree:add(course, tvb(offset))
      item:add_proto_expert_info(malformed, "Malformed course frame: " .. header)
      frames[#frames + 1] = "[Malformed frame: " .. header .. "]"
      offset = tvb:len()
      break
    end
    if total < 0 then
      pinfo.desegment_offset = offset
      pinfo.desegment_len = -total
      break
    end
    frames[#frames + 1] = show_frame(tvb, pinfo, tree, offset, total, header)
    offset = offset + total
  end
  if #frames > 0 then
    pinfo.cols.protocol = "COURSE"
    pinfo.cols.info = table.concat(frames, " | ")
  end
  return tvb:len()
end

local tcp_port = DissectorTable.get("tcp.port")
local registered_port = course.prefs.port
tcp_port:add(registered_port, course)

function course.prefs_changed()
  if registered_port ~= course.prefs.port then
    tcp_port:remove(registered_port, course)
    registered_port = course.prefs.port
    tcp_port:add(registered_port, course)
  end
end

-- A segment that starts with a whole frame header: a length, then that many bytes of a JSON object with the four
-- keys. Then the whole conversation is the course's protocol.
local function heuristic(tvb, pinfo, tree)
  if tvb:len() < 3 then return false end
  local hdrlen = tvb(0, 2):uint()
  if hdrlen == 0 or tvb(2, 1):uint() ~= 0x7b or tvb:len() < 2 + hdrlen then return false end
  local header = parse_header(tvb(2, hdrlen):raw())
  if not header then return false end
  for _, key in ipairs(REQUIRED) do
    if header[key] == nil then return false end
  end
  pinfo.conversation = course
  course.dissector(tvb, pinfo, tree)
  return true
end
course:register_heuristic("tcp", heuristic)
