package io.percore.file;

/**
 * One name in a directory listing ({@link Files#list}).
 *
 * @param name the entry's name, without the directory
 * @param type what it is, {@link EntryType#UNKNOWN} where the file system does not say
 */
public record DirectoryEntry(String name, EntryType type) {}
